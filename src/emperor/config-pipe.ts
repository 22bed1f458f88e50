// UWSGI_EMPEROR_FD_CONFIG (reference §1 "emperor config push", §6.3 "Spawn"): when a monitor holds
// a vassal's config itself (pg://), the Emperor hands it over a second socket pair instead of a
// file: one uwsgi packet [115, size u16 LE, 0] + the config text, at the spawn and again whenever
// the vassal asks (byte 2, sent when it reloads). The vassal is started with `--ini
// emperor://NAME` and reads the packet from the fd in that variable. Sans-I/O codec plus the
// vassal's blocking read (the config is read synchronously, before anything else runs).

import { readSync, writeSync } from 'node:fs';
import { encodeFromVassal } from './emperor-messages.js';

/** The packet's modifier1 (uWSGI's config push). */
export const CONFIG_MODIFIER = 115;

/** The packet carrying `config` (at most 65535 bytes: the size field's limit). */
export function encodeConfigPacket(config: string): Buffer {
  const body = Buffer.from(config, 'utf8');
  if (body.length > 0xffff)
    throw new RangeError(`a vassal config pushed by the Emperor must fit in 65535 bytes (${body.length})`);
  const header = Buffer.alloc(4);
  header.writeUInt8(CONFIG_MODIFIER, 0);
  header.writeUInt16LE(body.length, 1);
  header.writeUInt8(0, 3);
  return Buffer.concat([header, body]);
}

/** The body size of a 4-byte header, or an error when it is not a config push. */
export function configPacketSize(header: Uint8Array): number {
  if (header.length < 4 || header[0] !== CONFIG_MODIFIER)
    throw new Error(`not an Emperor config packet (modifier1 ${header[0] ?? 'none'})`);
  return (header[1] ?? 0) | ((header[2] ?? 0) << 8);
}

/** The fds of this vassal's config pipe, remembered at the first read (the env is cleaned after). */
let fds: { config: number; emperor: number | undefined } | undefined;
let reads = 0;

/**
 * `emperor://NAME`: the config the Emperor pushed. A later read (a reload re-reads the config)
 * first asks the Emperor for it again with byte 2, as uWSGI's vassals do.
 */
export function readEmperorConfig(env: NodeJS.ProcessEnv): string {
  if (!fds) {
    const config = Number(env['UWSGI_EMPEROR_FD_CONFIG']);
    if (env['UWSGI_EMPEROR_FD_CONFIG'] === undefined || !Number.isInteger(config) || config < 0)
      throw new Error(
        'emperor:// needs UWSGI_EMPEROR_FD_CONFIG (a vassal of an Emperor that pushes configs)',
      );
    const emperor = Number(env['UWSGI_EMPEROR_FD']);
    fds = { config, emperor: Number.isInteger(emperor) && emperor >= 0 ? emperor : undefined };
    // the workers and anything the vassal runs are not its config's readers
    delete env['UWSGI_EMPEROR_FD_CONFIG'];
  }
  if (reads++ > 0 && fds.emperor !== undefined) writeSync(fds.emperor, encodeFromVassal('config-request'));
  const header = readExactly(fds.config, 4);
  return readExactly(fds.config, configPacketSize(header)).toString('utf8');
}

/** Blocking read of `n` bytes; waits out EAGAIN (a non-blocking fd) for up to 10 s. */
function readExactly(fd: number, n: number): Buffer {
  const out = Buffer.alloc(n);
  let got = 0;
  const deadline = Date.now() + 10_000;
  while (got < n) {
    let r: number;
    try {
      r = readSync(fd, out, got, n - got, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      continue;
    }
    if (r === 0) throw new Error('the Emperor closed the config pipe');
    got += r;
  }
  return out;
}
