// Magic variables (%d, %n, %p...) substituted on the raw text of a config file before it is
// parsed. uWSGI 2.0 behaviour from reference §3.3: every letter not in the table becomes the
// empty string, `%(` is kept for the placeholder pass, `%%` is a literal percent.

import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';

/** Facts about the running process that magic variables expose; injected so tests can fix them. */
export interface MagicHost {
  readonly cwd: string;
  readonly hostname: string;
  readonly cores: number;
  readonly uid: number;
  readonly user: string;
  readonly gid: number;
  readonly group: string;
  /** Start time in microseconds. */
  readonly startMicros: bigint;
  readonly version: string;
  readonly binary: string;
}

export type MagicTable = ReadonlyMap<string, string>;

/** uWSGI's `%j`: djb33x over the bytes (as signed chars) of the path, the 32-bit result's bytes printed in memory (little-endian) order. */
export function djb33xHex(text: string): string {
  let hash = 5381;
  for (const byte of Buffer.from(text)) {
    const c = byte > 127 ? byte - 256 : byte;
    hash = (Math.imul(hash, 33) ^ c) >>> 0;
  }
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(hash);
  return bytes.toString('hex').toUpperCase();
}

/** Absolute path of a config file: its directory resolved through symlinks, its own name kept (reference §3.3 `%p`). */
function absoluteConfigPath(asGiven: string, cwd: string): string {
  const abs = isAbsolute(asGiven) ? asGiven : resolve(cwd, asGiven);
  try {
    return join(realpathSync(dirname(abs)), basename(abs));
  } catch {
    return abs;
  }
}

/**
 * The per-file half of the table: %o %p %s %d %e %n %c %x %i %j %0..%9. For stdin, `fd://` and
 * `exec://` sources only %o and %x have a value (observed).
 */
export function fileMagic(asGiven: string, section: string, cwd: string): Map<string, string> {
  const table = new Map<string, string>();
  if (asGiven === '-' || /^[a-z]+:\/\//.test(asGiven)) {
    for (const key of [
      'p',
      's',
      'd',
      'e',
      'n',
      'c',
      'i',
      'j',
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ])
      table.set(key, '');
    table.set('o', asGiven);
    table.set('x', section);
    return table;
  }
  const abs = absoluteConfigPath(asGiven, cwd);
  const dir = `${dirname(abs)}/`.replace(/\/+$/, '/');
  const name = basename(abs);
  const ext = extname(name);
  table.set('o', asGiven);
  table.set('p', abs);
  table.set('s', name);
  table.set('d', dir);
  table.set('e', ext.startsWith('.') ? ext.slice(1) : '');
  table.set('n', ext ? name.slice(0, -ext.length) : name);
  const parts = dir.split('/').filter((p) => p !== '');
  table.set('c', parts.at(-1) ?? '');
  table.set('x', section);
  let inode = '0';
  try {
    inode = String(statSync(abs).ino);
  } catch {
    // uWSGI prints 0 for a file it cannot stat; the read itself reports the error.
  }
  table.set('i', inode);
  table.set('j', djb33xHex(abs));
  for (let i = 0; i <= 9; i++) table.set(String(i), parts[i] ?? '');
  return table;
}

const FIRST_FILE_KEYS = ['o', 'p', 's', 'd', 'e', 'n', 'c', 'x', 'i', 'j'] as const;

/** The whole table for one file: host facts, this file's vars, and the first file's vars in upper case. */
export function magicTable(
  host: MagicHost,
  file: Map<string, string>,
  first: Map<string, string>,
): MagicTable {
  const table = new Map(file);
  for (const key of FIRST_FILE_KEYS) table.set(key.toUpperCase(), first.get(key) ?? '');
  table.set('h', host.hostname);
  table.set('k', String(host.cores));
  table.set('u', String(host.uid));
  table.set('U', host.user);
  table.set('g', String(host.gid));
  table.set('G', host.group);
  table.set('t', String(host.startMicros / 1_000_000n));
  table.set('T', String(host.startMicros));
  table.set('V', host.version);
  table.set('v', host.cwd);
  table.set('b', host.binary);
  table.set('[', '\x1b');
  table.set('%', '%');
  return table;
}

/** Replace every `%X` in raw config text. Unknown letters vanish; `%(` stays for the placeholder pass. */
export function substituteMagic(text: string, table: MagicTable): string {
  if (!text.includes('%')) return text;
  let out = '';
  let i = 0;
  for (;;) {
    const at = text.indexOf('%', i);
    if (at < 0) break;
    out += text.slice(i, at);
    const next = text[at + 1];
    if (next === undefined) {
      i = text.length;
      break;
    }
    if (next === '(') out += '%(';
    else out += table.get(next) ?? '';
    i = at + 2;
  }
  return out + text.slice(i);
}
