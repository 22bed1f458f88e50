// Log encoders (`log-encoder`, `log-req-encoder`; uWSGI core/logging.c): a chain applied by the
// master to every line before a logger writes it. `NAME[:LOGGER] ARGS`: the optional LOGGER id
// restricts the encoder to that named logger. `format` and `json` fill a template of
// `${msg}`, `${msgnl}`, `${unix}`, `${micros}`, `${millis}` and `${strftime:FORMAT}`.

import { UwsgiError } from '../errors.js';
import { compileStrftime } from './strftime.js';

export interface LogEncoder {
  readonly name: string;
  /** Only lines for the logger with this id are encoded; undefined: every logger. */
  readonly useFor: string | undefined;
  encode(msg: string): string;
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

type Render = (msg: string) => string;

function templateEncoder(args: string, json: boolean): Render {
  const escapeText = json ? escapeJson : (s: string) => s;
  const parts: Array<string | Render> = parseTemplate(args).map((p): string | Render => {
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
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(msg);
    return out;
  };
}

/** One row per encoder; each gets its ARGS. */
const ENCODERS: Readonly<Record<string, (args: string) => Render>> = {
  prefix: (args) => (msg) => args + msg,
  suffix: (args) => (msg) => msg + args,
  nl: () => (msg) => `${msg}\n`,
  format: (args) => templateEncoder(args, false),
  json: (args) => templateEncoder(args, true),
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
  msg: string,
): string {
  let out = msg;
  for (const e of encoders) {
    if (e.useFor !== undefined && e.useFor !== loggerId) continue;
    out = e.encode(out);
  }
  return out;
}
