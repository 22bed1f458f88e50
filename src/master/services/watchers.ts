// File triggers (touch-*, fs-*, js-autoreload; src/master/watchers.ts), as lifecycle requests.

import { appSpecs } from '../apps.js';
import type { ServiceRow } from '../master-context.js';
import { MasterWatchers } from '../watchers.js';

export const watchersService: ServiceRow = {
  name: 'watchers',
  phase: 'supervising',
  open(ctx) {
    const request = ctx.lifecycle.request.bind(ctx.lifecycle);
    const say = (why: string) => ctx.log(why);
    const watchers = new MasterWatchers(ctx.config, {
      gracefulReload: (why) => {
        say(why);
        request('reload');
      },
      brutalReload: (why) => {
        say(why);
        request('brutal-reload');
      },
      mulesReload: (why) => {
        say(why);
        request('mules-reload');
      },
      chainReload: (why) => {
        say(why);
        request('chain-reload');
      },
      log: say,
    });
    watchers.start(appSpecs(ctx.config).map((a) => a.file));
    return { close: () => watchers.close() };
  },
};
