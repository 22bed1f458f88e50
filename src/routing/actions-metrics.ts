// router_metrics (reference §4.4): `metricinc:NAME[,N]` and dec/mul/div/set, applied through the
// host at once (2.0.21: a ${metric[..]} later in the same chain sees the new value, recorded in
// metrics-actions.json); the chain goes on. N defaults to 1 and is translated.

import { action } from './action.js';
import { io } from './io.js';
import { RouteCode } from './outcome.js';
import { atoi } from './route-vars.js';
import { Template } from './translate.js';

const metric = (op: 'inc' | 'dec' | 'mul' | 'div' | 'set') =>
  action<Template>({
    plugin: 'router_metrics',
    needs: 'metrics',
    compile: (args) => new Template(args),
    *run(run, t) {
      const text = t.render(run);
      const comma = text.indexOf(',');
      const name = comma < 0 ? text : text.slice(0, comma);
      const value = comma < 0 ? 1 : atoi(text.slice(comma + 1));
      yield* io(run.host.metric({ op, name, value }));
      return RouteCode.NEXT;
    },
  });

export const METRICS_ACTIONS = {
  metricinc: metric('inc'),
  metricdec: metric('dec'),
  metricmul: metric('mul'),
  metricdiv: metric('div'),
  metricset: metric('set'),
} as const;
