// router_expires (reference §4.4): `expires:filename=F,value=S` or `expires:unix=T,value=S` adds
// `Expires:` = (F's mtime | T) + S seconds as an HTTP date; a missing file ends the request with
// nothing sent (observed on 2.0.21).

import { action } from './action.js';
import { io } from './io.js';
import { parseKvList } from './kvlist.js';
import { RouteCode } from './outcome.js';
import { atoi, httpDate } from './route-vars.js';
import { Template } from './translate.js';

interface ExpiresArgs {
  readonly filename: Template | undefined;
  readonly unix: Template | undefined;
  readonly value: Template | undefined;
}

export const EXPIRES_ACTIONS = {
  expires: action<ExpiresArgs>({
    plugin: 'router_expires',
    compile(args) {
      const kv = parseKvList(args) ?? new Map<string, string>();
      const t = (k: string) => {
        const v = kv.get(k);
        return v === undefined ? undefined : new Template(v);
      };
      return { filename: t('filename'), unix: t('unix'), value: t('value') };
    },
    *run(run, e) {
      let base = 0;
      if (e.filename !== undefined) {
        const facts = yield* io(run.host.stat(e.filename.render(run), true));
        if (facts === undefined) return RouteCode.BREAK;
        base = Math.floor(facts.mtimeMs / 1000);
      } else if (e.unix !== undefined) base = atoi(e.unix.render(run));
      const add = e.value === undefined ? 0 : atoi(e.value.render(run));
      run.outcome.headers.push({ op: 'add', name: 'Expires', value: httpDate(base + add) });
      return RouteCode.NEXT;
    },
  }),
} as const;
