// router_http and router_uwsgi (reference §4.4): forward the request to a backend. The engine
// only decides; the worker performs the Offload. `http`/`proxyhttp` take `addr[,Host[,uri]]`
// (HTTP/1.0 to the backend, observed), `httpdumb` sends the request as received, `httpconnect`
// tunnels; `uwsgi`/`proxyuwsgi` take `addr,modifier1,modifier2[,appid]` (both commas required at
// start-up); an empty addr only changes the modifiers and goes on.

import { action, badArgs } from './action.js';
import { RouteCode } from './outcome.js';
import { atoi } from './route-vars.js';
import { Template } from './translate.js';

const http = (mode: 'http' | 'dumb' | 'connect') =>
  action<Template>({
    plugin: 'router_http',
    compile: (args) => new Template(args),
    run(run, t) {
      const [address = '', host, uri] = t.render(run).split(',');
      run.outcome.offload = { kind: 'http', mode, address, host, uri };
      return RouteCode.BREAK;
    },
  });

const uwsgi = action<Template>({
  plugin: 'router_uwsgi',
  compile(args, site) {
    if (args.split(',').length < 3) throw badArgs(site, `invalid route syntax: ${args}`);
    return new Template(args);
  },
  run(run, t) {
    const [address = '', m1 = '', m2 = '', appId] = t.render(run).split(',');
    const modifier1 = atoi(m1);
    const modifier2 = atoi(m2);
    if (address === '') {
      run.outcome.modifier1 = modifier1;
      run.outcome.modifier2 = modifier2;
      return RouteCode.NEXT;
    }
    run.outcome.offload = { kind: 'uwsgi', address, modifier1, modifier2, appId };
    return RouteCode.BREAK;
  },
});

export const HTTP_ACTIONS = {
  http: http('http'),
  httpdumb: http('dumb'),
  proxyhttp: http('http'),
  httpconnect: http('connect'),
  proxyhttpconnect: http('connect'),
} as const;

export const UWSGI_ACTIONS = {
  uwsgi,
  proxyuwsgi: uwsgi,
} as const;
