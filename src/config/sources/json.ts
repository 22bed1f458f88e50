// The json reader, pure. uWSGI 2.0.21 reads `{"section": {"key": value}}` and (observed, see
// test/fixtures/config) keeps duplicate keys in order, prints numbers as written, true as 1,
// false and null as 0, adds one option per scalar array item, skips nested containers and
// accepts comments (its parser is yajl).
// JSON.parse would lose duplicates and number spelling, hence this small tokenizer.

import { UwsgiError } from '../../errors.js';
import type { RawLine, SectionRead } from './ini.js';

type JsonNode =
  | { readonly type: 'scalar'; readonly text: string; readonly line: number }
  | { readonly type: 'array'; readonly items: readonly JsonNode[]; readonly line: number }
  | {
      readonly type: 'object';
      readonly pairs: ReadonlyArray<readonly [string, JsonNode]>;
      readonly line: number;
    };

class JsonCursor {
  pos = 0;
  line = 1;
  constructor(
    readonly text: string,
    readonly name: string,
  ) {}

  fail(what: string): never {
    throw new UwsgiError('ERR_CONFIG_PARSE', `invalid json in ${this.name} at line ${this.line}: ${what}`);
  }

  // Blanks, and the comments uWSGI's yajl accepts: `// line` and C block comments.
  skipBlanks(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === '/' && this.text[this.pos + 1] === '/') {
        const end = this.text.indexOf('\n', this.pos);
        this.pos = end < 0 ? this.text.length : end;
        continue;
      }
      if (c === '/' && this.text[this.pos + 1] === '*') {
        const end = this.text.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated comment');
        for (let i = this.pos; i < end; i++) if (this.text[i] === '\n') this.line++;
        this.pos = end + 2;
        continue;
      }
      if (c === '\n') this.line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r') return;
      this.pos++;
    }
  }

  expect(c: string): void {
    this.skipBlanks();
    if (this.text[this.pos] !== c) this.fail(`expected "${c}"`);
    this.pos++;
  }

  value(): JsonNode {
    this.skipBlanks();
    const line = this.line;
    const c = this.text[this.pos];
    if (c === '{') return this.object(line);
    if (c === '[') return this.array(line);
    if (c === '"') return { type: 'scalar', text: this.string(), line };
    const m = /^(?:true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/.exec(
      this.text.slice(this.pos, this.pos + 64),
    );
    if (!m) this.fail('unexpected character');
    this.pos += m[0].length;
    const literal = m[0] === 'true' ? '1' : m[0] === 'false' || m[0] === 'null' ? '0' : m[0];
    return { type: 'scalar', text: literal, line };
  }

  string(): string {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === '\\') this.pos += 2;
      else if (c === '"') break;
      else this.pos++;
    }
    this.pos++;
    try {
      // uWSGI keeps C strings: an escaped NUL ends the value
      const value = JSON.parse(this.text.slice(start, this.pos)) as string;
      const nul = value.indexOf('\0');
      return nul < 0 ? value : value.slice(0, nul);
    } catch {
      return this.fail('bad escape in string');
    }
  }

  array(line: number): JsonNode {
    this.pos++;
    const items: JsonNode[] = [];
    this.skipBlanks();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { type: 'array', items, line };
    }
    for (;;) {
      items.push(this.value());
      this.skipBlanks();
      const c = this.text[this.pos++];
      if (c === ']') return { type: 'array', items, line };
      if (c !== ',') this.fail('expected "," or "]"');
    }
  }

  object(line: number): JsonNode {
    this.pos++;
    const pairs: Array<readonly [string, JsonNode]> = [];
    this.skipBlanks();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { type: 'object', pairs, line };
    }
    for (;;) {
      this.skipBlanks();
      if (this.text[this.pos] !== '"') this.fail('expected a key');
      const key = this.string();
      this.expect(':');
      pairs.push([key, this.value()]);
      this.skipBlanks();
      const c = this.text[this.pos++];
      if (c === '}') return { type: 'object', pairs, line };
      if (c !== ',') this.fail('expected "," or "}"');
    }
  }
}

export function parseJson(text: string, name: string): JsonNode {
  const cursor = new JsonCursor(text, name);
  const root = cursor.value();
  cursor.skipBlanks();
  if (cursor.pos < text.length) cursor.fail('trailing characters');
  return root;
}

export function readJsonSection(text: string, section: string, name: string): SectionRead {
  const root = parseJson(text, name);
  if (root.type !== 'object') return { lines: [], found: false };
  const body = root.pairs.find(([key]) => key === section)?.[1];
  if (body?.type !== 'object') return { lines: [], found: false };
  const lines: RawLine[] = [];
  for (const [key, node] of body.pairs) {
    if (node.type === 'scalar') lines.push({ key, value: node.text, line: node.line });
    else if (node.type === 'array') {
      for (const item of node.items)
        if (item.type === 'scalar') lines.push({ key, value: item.text, line: item.line });
    }
  }
  return { lines, found: true };
}
