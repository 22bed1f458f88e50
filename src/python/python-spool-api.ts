// The spooler calls of the `uwsgi` module (python/uwsgi_spool.py): uwsgi.spool() writes through
// the same runtime call as a JS app's spool() (src/api/spool.ts -> src/spooler/spool-writer.ts),
// so the file, its name, the `[spooler] written` line and the errors are the same. Rows joined
// into python-api.ts's table.

import { callRuntime } from '../api/runtime.js';

type Call = (args: readonly Buffer[]) => Buffer;

/**
 * `spool`: [has-body ('' or '1'), body, key1, value1, ...] (uWSGI's bytes-only dict, checked on
 * the Python side); answers the spool file's path as bytes (B), as uWSGI 2.0.21 does.
 */
function spoolCall([hasBody, body, ...items]: readonly Buffer[]): Buffer {
  const vars = new Map<string, Buffer>();
  for (let i = 0; i + 1 < items.length; i += 2) {
    vars.set((items[i] as Buffer).toString('utf8'), Buffer.from(items[i + 1] as Buffer));
  }
  const withBody = hasBody !== undefined && hasBody.length > 0;
  const path: string = callRuntime(
    'spool',
    vars,
    withBody ? Buffer.from(body ?? Buffer.alloc(0)) : undefined,
  );
  return Buffer.concat([Buffer.from('B'), Buffer.from(path, 'utf8')]);
}

export const SPOOL_CALLS: Readonly<Record<string, Call>> = {
  spool: spoolCall,
};
