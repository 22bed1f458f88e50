// The ini reader, pure: text in, key/value lines of one section out. uWSGI 2.0 rules
// (reference §3.2): no inline comments, `;`/`#` only as the first character, a line without
// `=` is a bare flag with an empty value, repeated keys are all kept in order.

export interface RawLine {
  readonly key: string;
  readonly value: string;
  /** 1-based line number in the file. */
  readonly line: number;
}

export interface SectionRead {
  readonly lines: readonly RawLine[];
  readonly found: boolean;
}

const BLANKS = /^[ \t\r]+|[ \t\r]+$/g;

export function readIniSection(text: string, section: string): SectionRead {
  const lines: RawLine[] = [];
  let inSection = false;
  let found = false;
  const rows = text.split('\n');
  for (let n = 0; n < rows.length; n++) {
    const row = (rows[n] ?? '').replace(BLANKS, '');
    if (row === '' || row[0] === ';' || row[0] === '#') continue;
    if (row[0] === '[') {
      // uWSGI drops the first and the last character, whatever they are.
      inSection = row.slice(1, -1) === section;
      if (inSection) found = true;
      continue;
    }
    if (!inSection) continue;
    const eq = row.indexOf('=');
    if (eq < 0) lines.push({ key: row, value: '', line: n + 1 });
    else
      lines.push({
        key: row.slice(0, eq).replace(BLANKS, ''),
        value: row.slice(eq + 1).replace(BLANKS, ''),
        line: n + 1,
      });
  }
  return { lines, found };
}
