// The modifier1 17 row of a uwsgi socket (reference §1.4, §1.5; uWSGI's plugins/spooler): the
// packet's vars become a task in this instance's spooler, as the app's spool() writes it (the
// `spooler` and `priority` vars keep their meaning), and the answer is `[255, 0, 1]`, or
// `[255, 0, 0]` when the instance has no spooler or the task could not be written (uWSGI logs
// `the spooler is inactive !!!...skip`). A client gone before the answer gets its task unlinked,
// as uWSGI does.

import { rmSync } from 'node:fs';
import { callRuntime } from '../api/runtime.js';
import { isUwsgiError } from '../errors.js';
import { decodeSpoolVars } from '../protocol/spool-file.js';
import type { PacketHandler } from '../worker/packet-handlers.js';

/** modifier1 255, the generic response: modifier2 1 = ok, 0 = failed. */
function answer(ok: boolean): Buffer {
  return Buffer.from([255, 0, 0, ok ? 1 : 0]);
}

export const spoolPacketHandler: PacketHandler = {
  raw: () => true,
  handle(packet, socket, _rest, context) {
    let path: string | undefined;
    try {
      path = callRuntime('spool', decodeSpoolVars(packet.payload), undefined);
    } catch (err) {
      const code = isUwsgiError(err) ? err.code : undefined;
      context.log(
        code === 'ERR_SPOOL_UNKNOWN_SPOOLER'
          ? 'the spooler is inactive !!!...skip\n'
          : `[uwsgi-spooler] ${err instanceof Error ? err.message : String(err)}${code ? ` [${code}]` : ''}\n`,
      );
    }
    if (path !== undefined && (socket.destroyed || !socket.writable)) {
      rmSync(path, { force: true });
      return;
    }
    socket.end(answer(path !== undefined));
  },
};
