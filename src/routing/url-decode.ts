// uWSGI's url decoding as the rewrite action does it (observed on 2.0.21): `%hh` becomes the byte
// (a non-hex pair reads as strtol would: `%zz` is a NUL byte), `+` stays, and a `%` with fewer
// than two characters after it ends the text. The bytes are read as UTF-8 when they are valid
// UTF-8, else one character per byte (as src/worker/cgi-env.ts decodes PATH_INFO).

const HEX = /^[0-9a-fA-F]+/;

export function urlDecode(text: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  const src = Buffer.from(text, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const b = src[i] as number;
    if (b !== 0x25) {
      bytes.push(b);
      continue;
    }
    const pair = src.toString('latin1', i + 1, i + 3);
    if (pair.length < 2) break;
    const digits = HEX.exec(pair);
    bytes.push(digits ? Number.parseInt(digits[0], 16) : 0);
    i += 2;
  }
  const buf = Buffer.from(bytes);
  const utf8 = buf.toString('utf8');
  return Buffer.from(utf8, 'utf8').equals(buf) ? utf8 : buf.toString('latin1');
}
