// Log encoders (`log-encoder`, `log-req-encoder`; uWSGI core/logging.c): a chain applied by the
// master to every line before a logger writes it. `NAME[:LOGGER] ARGS`: the optional LOGGER id
// restricts the encoder to that named logger. `format` and `json` fill a template of
// `${msg}`, `${msgnl}`, `${unix}`, `${micros}`, `${millis}` and `${strftime:FORMAT}`; `gzip` and
// `compress` make each message a binary gzip member / zlib stream.

import zlib from 'node:zlib';
import { UwsgiError } from '../errors.js';
import type { LogText } from './log-targets.js';
import { compileStrftime } from './strftime.js';

export interface LogEncoder {
  readonly name: string;
  /** Only lines for the logger with this id are encoded; undefined: every logger. */
  readonly useFor: string | undefined;
  /** Text in, text out, except after `gzip`/`compress`: bytes (later encoders see bytes). */
  encode(msg: LogText): LogText;
}

type Piece = { readonly text: string } | { readonly variable: string };

/**
 * JSON string escaping. uWSGI 2.0 escapes `"`, `\`, tab, newline and carriage return only and
 * passes other control characters raw, which breaks JSON parsers; they become `\u00XX` here.
 */
export function escapeJson(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code !== 0x22 && code !== 0x5c) continue;
    out += text.slice(from, i);
    from = i + 1;
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code === 0x09) out += '\\t';
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x0d) out += '\\r';
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** `foo ${var} bar` -> pieces (uwsgi_log_encoder_parse_vars); an unclosed `${` stays text. */
export function parseTemplate(template: string): Piece[] {
  const pieces: Piece[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    if (template[i] === '$' && template[i + 1] === '{') {
      const end = template.indexOf('}', i + 2);
      if (end < 0) break;
      if (text !== '') pieces.push({ text });
      text = '';
      pieces.push({ variable: template.slice(i + 2, end) });
      i = end + 1;
      continue;
    }
    text += template[i];
    i++;
  }
  text += template.slice(i);
  if (text !== '') pieces.push({ text });
  return pieces;
}

/** The message without its trailing newline, as `${msg}` prints it. */
const chomp = (msg: string) => (msg.endsWith('\n') ? msg.slice(0, -1) : msg);

type Render = (msg: LogText) => LogText;
type Fill = (msg: string) => string;

const asText = (msg: LogText) => (typeof msg === 'string' ? msg : msg.toString('utf8'));

function templateEncoder(args: string, json: boolean): Render {
  const escapeText = json ? escapeJson : (s: string) => s;
  const parts: Array<string | Fill> = parseTemplate(args).map((p): string | Fill => {
    if ('text' in p) return p.text;
    const v = p.variable;
    if (v === 'msg') return (msg) => escapeText(chomp(msg));
    if (v === 'msgnl') return (msg) => escapeText(msg);
    if (v === 'unix') return () => String(Math.floor(Date.now() / 1000));
    if (v === 'micros') return () => String(Math.floor((performance.timeOrigin + performance.now()) * 1000));
    if (v === 'millis') return () => String(Date.now());
    if (v.startsWith('strftime:')) {
      const format = compileStrftime(v.slice(9));
      return () => escapeText(format(Date.now()));
    }
    // uWSGI prints nothing for a variable it does not know
    return '';
  });
  return (msg) => {
    const text = asText(msg);
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(text);
    return out;
  };
}

/** Text before and/or after a message; bytes stay bytes (after `gzip`, uWSGI works on bytes). */
function wrap(before: string, after: string): Render {
  const head = Buffer.from(before);
  const tail = Buffer.from(after);
  return (msg) => (typeof msg === 'string' ? before + msg + after : Buffer.concat([head, msg, tail]));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** zlib.crc32 arrived in Node 20.15; the table is for older 20.x. */
const crc32: (data: Buffer) => number =
  typeof zlib.crc32 === 'function'
    ? (data) => zlib.crc32(data)
    : (data) => {
        let c = 0xffffffff;
        for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
        return (c ^ 0xffffffff) >>> 0;
      };

/** An empty final block (BFINAL=1, fixed Huffman, end-of-block), as zlib ends a flushed stream. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * uWSGI 2.0.21's `gzip` encoder, as its output shows: one gzip member per message (mtime 0, OS
 * unix), the data deflated with a sync flush (`00 00 ff ff`), then an empty final block and the
 * CRC32/size trailer. Node's bundled zlib may pick other back-references than the system zlib, so
 * the deflate bytes can differ while the framing and the decompressed text are the same.
 */
function gzipMessage(msg: LogText): Buffer {
  const data = typeof msg === 'string' ? Buffer.from(msg) : msg;
  const body = zlib.gzipSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const trailer = Buffer.allocUnsafe(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([body, FINAL_BLOCK, trailer]);
}

/** One row per encoder; each gets its ARGS. */
const ENCODERS: Readonly<Record<string, (args: string) => Render>> = {
  prefix: (args) => wrap(args, ''),
  suffix: (args) => wrap('', args),
  nl: () => wrap('', '\n'),
  format: (args) => templateEncoder(args, false),
  json: (args) => templateEncoder(args, true),
  gzip: () => gzipMessage,
  // zlib's compress(): a zlib stream (78 9c header, adler32 trailer) per message, as uWSGI writes it
  compress: () => (msg) => zlib.deflateSync(msg),
};

/**
 * Parses one `log-encoder` value (uwsgi_setup_log_encoders): the name ends at the first space,
 * `:ID` in the name restricts it to a logger, the rest is its argument.
 *
 * @example parseEncoder('json {"msg":"${msg}"}', 'app.ini:3').encode('hi\n') // '{"msg":"hi"}'
 */
export function parseEncoder(spec: string, where: string): LogEncoder {
  const space = spec.indexOf(' ');
  const head = space < 0 ? spec : spec.slice(0, space);
  const args = space < 0 ? '' : spec.slice(space + 1);
  const colon = head.indexOf(':');
  const name = colon < 0 ? head : head.slice(0, colon);
  const make = Object.hasOwn(ENCODERS, name) ? ENCODERS[name] : undefined;
  if (!make) {
    throw new UwsgiError(
      'ERR_CONFIG_BAD_VALUE',
      `log encoder "${name}" not found (${where}); uwsgi-ts has ${Object.keys(ENCODERS).join(', ')}`,
    );
  }
  const render = make(args);
  return { name, useFor: colon < 0 ? undefined : head.slice(colon + 1), encode: render };
}

/** Runs a chain for one logger (uwsgi_log_func_do): encoders bound to another logger are skipped. */
export function encodeFor(
  encoders: readonly LogEncoder[],
  loggerId: string | undefined,
  msg: LogText,
): LogText {
  let out = msg;
  for (const e of encoders) {
    if (e.useFor !== undefined && e.useFor !== loggerId) continue;
    out = e.encode(out);
  }
  return out;
}
