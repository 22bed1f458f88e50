// router_rewrite (reference §4.4): `rewrite:/path?qs` sets PATH_INFO (url-decoded) and, when the
// new text has a `?`, QUERY_STRING = `new&old` (just `new` when there was none); REQUEST_URI is
// left alone (observed on 2.0.21). `rewrite` goes on with the chain, `rewrite-last` stops it.

import { action } from './action.js';
import { RouteCode } from './outcome.js';
import type { RouteRun } from './run.js';
import { Template } from './translate.js';
import { urlDecode } from './url-decode.js';

function rewrite(run: RouteRun, text: string): void {
  const q = text.indexOf('?');
  run.set('PATH_INFO', urlDecode(q < 0 ? text : text.slice(0, q)));
  if (q < 0) return;
  const added = text.slice(q + 1);
  const old = run.get('QUERY_STRING');
  run.set('QUERY_STRING', old === '' ? added : `${added}&${old}`);
}

const rewriteAction = (code: RouteCode) =>
  action<Template>({
    plugin: 'router_rewrite',
    compile: (args) => new Template(args),
    run(run, t) {
      rewrite(run, t.render(run));
      return code;
    },
  });

export const REWRITE_ACTIONS = {
  rewrite: rewriteAction(RouteCode.NEXT),
  'rewrite-last': rewriteAction(RouteCode.CONTINUE),
} as const;
