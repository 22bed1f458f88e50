// router_redirect (reference §4.4): a Location header and a one-word body, no Content-Type and no
// Content-Length (observed on 2.0.21: `302 Found` + `Moved`, `301 Moved Permanently` + the same).

import { action } from './action.js';
import { RouteCode } from './outcome.js';
import { Template } from './translate.js';

const redirect = (status: 301 | 302) =>
  action<Template>({
    plugin: 'router_redirect',
    compile: (args) => new Template(args),
    run(run, t) {
      run.outcome.response = {
        status,
        statusLine: status === 301 ? '301 Moved Permanently' : '302 Found',
        headers: [['Location', t.render(run)]],
        body: status === 301 ? 'Moved Permanently' : 'Moved',
        close: false,
      };
      return RouteCode.BREAK;
    },
  });

export const REDIRECT_ACTIONS = {
  redirect: redirect(302),
  'redirect-302': redirect(302),
  'redirect-permanent': redirect(301),
  'redirect-301': redirect(301),
} as const;
