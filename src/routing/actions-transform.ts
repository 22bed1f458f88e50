// The transformation plugins (reference §4.4, seeds 002 "uWSGI Transformations"): each adds a
// Transform the worker applies to the app's body, in rule order, and the chain goes on. Observed
// on 2.0.21 (recorded fixtures): `chunked` and `gzip` keep the app's Content-Length header,
// `template` translates `${...}` in the body and keeps the old Content-Length, `tofile` needs
// `filename=` at start-up.

import { action, badArgs } from './action.js';
import { parseKvList } from './kvlist.js';
import { RouteCode } from './outcome.js';
import { Template } from './translate.js';

const simple = (kind: 'chunked' | 'gzip' | 'toupper' | 'template' | 'offload', plugin: string) =>
  action<undefined>({
    plugin,
    compile: () => undefined,
    run(run) {
      run.outcome.transforms.push({ kind });
      return RouteCode.NEXT;
    },
  });

const tofile = action<{ filename: Template; mode: number | undefined }>({
  plugin: 'transformation_tofile',
  compile(args, site) {
    const kv = parseKvList(args);
    const filename = kv?.get('filename');
    if (filename === undefined)
      throw badArgs(site, 'invalid tofile route syntax, you need to specify a filename');
    const mode = kv?.get('mode');
    return {
      filename: new Template(filename),
      mode: mode === undefined ? undefined : Number.parseInt(mode, 8),
    };
  },
  run(run, t) {
    run.outcome.transforms.push({ kind: 'tofile', filename: t.filename.render(run), mode: t.mode });
    return RouteCode.NEXT;
  },
});

export const TRANSFORM_ACTIONS = {
  chunked: simple('chunked', 'transformation_chunked'),
  gzip: simple('gzip', 'transformation_gzip'),
  offload: simple('offload', 'transformation_offload'),
  template: simple('template', 'transformation_template'),
  tofile,
  'to-file': tofile,
  toupper: simple('toupper', 'transformation_toupper'),
} as const;
