// router_static (reference §4.4): `static:PATH` and `file:`/`sendfile:`/`fastfile:` with keyvals
// (`filename=` required, `status=`, `content_type=`, `mime=1`, `no_cl=1`, `no_headers=1`) end the
// request with an Offload the worker performs. The `-next` forms stat the file first and go on
// with the chain (NEXT) when it is missing; the plain forms leave a missing file to the worker
// (2.0.21 sends nothing then: observed).

import { action, badArgs, type RuleSite } from './action.js';
import { io } from './io.js';
import { parseKvList } from './kvlist.js';
import { RouteCode } from './outcome.js';
import { atoi } from './route-vars.js';
import type { RouteRun } from './run.js';
import { Template } from './translate.js';

function* exists(run: RouteRun, path: string) {
  const facts = yield* io(run.host.stat(path, true));
  return facts?.isFile === true;
}

const staticAction = (next: boolean) =>
  action<Template>({
    plugin: 'router_static',
    compile: (args) => new Template(args),
    *run(run, t) {
      const path = t.render(run);
      if (next && !(yield* exists(run, path))) return RouteCode.NEXT;
      run.outcome.offload = { kind: 'static', path };
      return RouteCode.BREAK;
    },
  });

interface FileArgs {
  readonly filename: Template;
  readonly status: Template | undefined;
  readonly contentType: Template | undefined;
  readonly mime: boolean;
  readonly contentLength: boolean;
  readonly headers: boolean;
}

const truthy = (v: string | undefined) => v !== undefined && v !== '' && v !== '0';

function compileFile(args: string, site: RuleSite): FileArgs {
  const kv = parseKvList(args);
  const filename = kv?.get('filename');
  if (kv === undefined || filename === undefined) throw badArgs(site, 'you need to specify a filename');
  const opt = (k: string) => {
    const v = kv.get(k);
    return v === undefined ? undefined : new Template(v);
  };
  return {
    filename: new Template(filename),
    status: opt('status'),
    contentType: opt('content_type'),
    mime: truthy(kv.get('mime')),
    contentLength: !truthy(kv.get('no_cl')),
    headers: !truthy(kv.get('no_headers')),
  };
}

const fileAction = (variant: 'file' | 'sendfile' | 'fastfile', next: boolean) =>
  action<FileArgs>({
    plugin: 'router_static',
    compile: compileFile,
    *run(run, f) {
      const path = f.filename.render(run);
      if (next && !(yield* exists(run, path))) return RouteCode.NEXT;
      run.outcome.offload = {
        kind: 'file',
        variant,
        path,
        status: f.status === undefined ? 200 : atoi(f.status.render(run)),
        contentType: f.contentType?.render(run),
        mime: f.mime,
        contentLength: f.contentLength,
        headers: f.headers,
      };
      return RouteCode.BREAK;
    },
  });

export const STATIC_ACTIONS = {
  static: staticAction(false),
  'static-next': staticAction(true),
  file: fileAction('file', false),
  'file-next': fileAction('file', true),
  sendfile: fileAction('sendfile', false),
  'sendfile-next': fileAction('sendfile', true),
  fastfile: fileAction('fastfile', false),
  'fastfile-next': fileAction('fastfile', true),
} as const;
