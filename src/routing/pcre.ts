// uWSGI compiles every routing regexp with PCRE (no UTF mode, default options: reference §4.1).
// This turns a PCRE pattern into a JS RegExp with the same meaning, built once at start-up
// (STYLE.md rule 5): parse into a small tree, then emit JS with PCRE group numbers kept.
//
// Mapped (PCRE -> JS): `.` -> `[^\n]` (JS also stops at \r, \u2028, \u2029), `$` -> `(?=\n?$)`
// (PCRE's `$` also matches before a final newline), `\A` `\z` `\Z`, `\h` `\H` `\v` `\V` `\R` `\N`,
// `\s` outside classes (PCRE: ASCII white space only), `\e` `\a` `\x{..}` `\o{..}`, `\Q..\E`,
// POSIX classes `[[:alpha:]]`, a leading `]` in a class, inline flags `(?i)` `(?s)` `(?m)` `(?x)`
// (also scoped `(?i:..)` and `(?-i)`, emulated: JS 20 has no modifiers), `(?P<n>..)` `(?'n'..)`
// `(?P=n)` `\k{n}` `\g{n}` names and back-references, `(?#..)` comments, atomic groups `(?>..)`
// and possessive quantifiers (`a++`) as `(?=(..))\N` with extra JS groups that do not shift $1..$9.
// Refused with ERR_ROUTE_BAD_REGEXP (no JS equivalent): recursion, conditionals, `\K`, `\G`,
// `\p`/`\X` (need PCRE's UTF tables), backtracking verbs, callouts, branch reset, `(?U)` `(?J)`.
// Known difference: PCRE matches bytes; a JS string matches UTF-16 units, so `.` and `\xhh` on a
// non-ASCII character agree only when the subject holds one char per byte (latin1).

import { UwsgiError } from '../errors.js';

/** A routing regexp, compiled. */
export interface Pcre {
  /** The pattern as written. */
  readonly source: string;
  /** The JS translation (exposed for tests and diagnostics). */
  readonly regexp: RegExp;
  /** Number of PCRE capture groups. */
  readonly groupCount: number;
  /** Match: `[$0, $1, ...]` in PCRE numbering (unset groups undefined), or null. */
  exec(subject: string): (string | undefined)[] | null;
}

interface Flags {
  readonly i: boolean;
  readonly s: boolean;
  readonly m: boolean;
  readonly x: boolean;
}

type Node =
  | { readonly t: 'alt'; readonly branches: Node[][] }
  | { readonly t: 'char'; readonly c: string; readonly ci: boolean }
  | { readonly t: 'raw'; readonly js: string }
  | { readonly t: 'class'; readonly negated: boolean; readonly items: ClassItem[]; readonly ci: boolean }
  | {
      readonly t: 'group';
      readonly kind: 'capture' | 'noncap' | 'atomic' | 'la' | 'nla' | 'lb' | 'nlb';
      readonly index: number;
      readonly name: string | undefined;
      readonly body: Node;
    }
  | {
      readonly t: 'quant';
      readonly atom: Node;
      readonly q: string;
      readonly lazy: boolean;
      readonly possessive: boolean;
    }
  | { readonly t: 'backref'; readonly ref: number | string };

type ClassItem =
  | { readonly t: 'char'; readonly c: string }
  | { readonly t: 'range'; readonly from: string; readonly to: string }
  | { readonly t: 'raw'; readonly js: string };

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\x0b\\f\\r ',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
  ascii: '\\x00-\\x7f',
};

// PCRE (no UCP) escapes whose JS spelling differs; \d \w \b \B and the rest are the same.
const ESCAPES_OUTSIDE: Readonly<Record<string, string>> = {
  A: '^',
  z: '$',
  Z: '(?=\\n?$)',
  h: '[\\t \\xa0]',
  H: '[^\\t \\xa0]',
  v: '[\\n\\x0b\\f\\r\\x85]',
  V: '[^\\n\\x0b\\f\\r\\x85]',
  R: '(?:\\r\\n|[\\n\\x0b\\f\\r\\x85])',
  N: '[^\\n]',
  s: '[\\t\\n\\x0b\\f\\r ]',
  S: '[^\\t\\n\\x0b\\f\\r ]',
  e: '\\x1b',
  a: '\\x07',
};

const ESCAPES_IN_CLASS: Readonly<Record<string, string>> = {
  h: '\\t \\xa0',
  v: '\\n\\x0b\\f\\r\\x85',
  s: '\\t\\n\\x0b\\f\\r ',
  e: '\\x1b',
  a: '\\x07',
};

const UNSUPPORTED_ESCAPES = new Set(['K', 'G', 'p', 'P', 'X', 'C']);
const META = new Set([...'\\^$.|?*+()[]{}/-']);

function bad(source: string, why: string): UwsgiError {
  return new UwsgiError('ERR_ROUTE_BAD_REGEXP', `regexp "${source}": ${why}`);
}

class Parser {
  private i = 0;
  private groups = 0;
  readonly names = new Map<string, number>();

  constructor(private readonly src: string) {}

  parse(): { node: Node; groupCount: number } {
    const node = this.alternation({ i: false, s: false, m: false, x: false });
    if (this.i < this.src.length) throw bad(this.src, `unmatched ) at offset ${this.i}`);
    return { node, groupCount: this.groups };
  }

  private fail(why: string): never {
    throw bad(this.src, why);
  }

  /** A sequence of branches up to `)` or the end; `(?flags)` inside changes the rest of it. */
  private alternation(start: Flags): Node {
    let flags = start;
    const branches: Node[][] = [[]];
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined || c === ')') break;
      if (c === '|') {
        this.i++;
        branches.push([]);
        continue;
      }
      const setFlags = this.flagGroup(flags);
      if (setFlags) {
        flags = setFlags;
        continue;
      }
      const atom = this.atom(flags);
      if (atom === undefined) continue;
      const branch = branches[branches.length - 1] as Node[];
      if (Array.isArray(atom)) {
        // \Q..\E: a quantifier after it applies to its last character only
        const last = atom.pop();
        branch.push(...atom);
        if (last !== undefined) branch.push(this.quantified(last, flags));
      } else branch.push(this.quantified(atom, flags));
    }
    return { t: 'alt', branches };
  }

  /** `(?imsx-imsx)` applying to the rest of the group: the new flags, or undefined. */
  private flagGroup(flags: Flags): Flags | undefined {
    const m = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)/.exec(this.src.slice(this.i));
    if (!m || (m[1] === '' && m[2] === undefined)) return undefined;
    this.i += m[0].length;
    return this.applyFlags(flags, m[1] ?? '', m[2] ?? '');
  }

  private applyFlags(flags: Flags, on: string, off: string): Flags {
    const next = { ...flags };
    for (const [set, value] of [
      [on, true],
      [off, false],
    ] as const) {
      for (const f of set) {
        if (f !== 'i' && f !== 's' && f !== 'm' && f !== 'x')
          this.fail(`inline flag (?${f}) is not supported`);
        next[f] = value;
      }
    }
    return next;
  }

  private skipExtended(flags: Flags): void {
    if (!flags.x) return;
    for (;;) {
      const c = this.src[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') this.i++;
      else if (c === '#') {
        while (this.i < this.src.length && this.src[this.i] !== '\n') this.i++;
      } else return;
    }
  }

  private atom(flags: Flags): Node | Node[] | undefined {
    this.skipExtended(flags);
    const c = this.src[this.i];
    if (c === undefined || c === ')' || c === '|') return undefined;
    this.i++;
    switch (c) {
      case '.':
        return { t: 'raw', js: flags.s ? '[\\s\\S]' : '[^\\n]' };
      case '^':
        return { t: 'raw', js: flags.m ? '(?<=^|\\n)' : '^' };
      case '$':
        return { t: 'raw', js: flags.m ? '(?=\\n|$)' : '(?=\\n?$)' };
      case '[':
        return this.charClass(flags);
      case '(':
        return this.group(flags);
      case '\\':
        return this.escape(flags);
      case '*':
      case '+':
      case '?':
        return this.fail(`quantifier ${c} at offset ${this.i - 1} follows nothing`);
      default:
        return { t: 'char', c, ci: flags.i };
    }
  }

  private quantified(atom: Node, flags: Flags): Node {
    this.skipExtended(flags);
    const quantifier = /^(?:[*+?]|\{\d+(?:,\d*)?\})/;
    const m = quantifier.exec(this.src.slice(this.i));
    if (!m) return atom;
    this.i += m[0].length;
    let lazy = false;
    let possessive = false;
    if (this.src[this.i] === '?') {
      lazy = true;
      this.i++;
    } else if (this.src[this.i] === '+') {
      possessive = true;
      this.i++;
    }
    this.skipExtended(flags);
    if (quantifier.test(this.src.slice(this.i))) this.fail(`nothing to repeat at offset ${this.i}`);
    return { t: 'quant', atom, q: m[0], lazy, possessive };
  }

  private group(flags: Flags): Node {
    const rest = this.src.slice(this.i);
    let kind: 'capture' | 'noncap' | 'atomic' | 'la' | 'nla' | 'lb' | 'nlb' = 'capture';
    let name: string | undefined;
    let inner = flags;
    if (rest.startsWith('?#')) {
      const end = this.src.indexOf(')', this.i);
      if (end < 0) this.fail('unterminated (?# comment');
      this.i = end + 1;
      return { t: 'raw', js: '' };
    }
    if (rest.startsWith('?')) {
      const named = /^\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/.exec(rest);
      const scoped = /^\?([a-zA-Z]*)(?:-([a-zA-Z]*))?:/.exec(rest);
      if (named) {
        name = named[1] ?? named[2];
        this.i += named[0].length;
      } else if (rest.startsWith('?:')) {
        kind = 'noncap';
        this.i += 2;
      } else if (rest.startsWith('?>')) {
        kind = 'atomic';
        this.i += 2;
      } else if (rest.startsWith('?=') || rest.startsWith('?!')) {
        kind = rest[1] === '=' ? 'la' : 'nla';
        this.i += 2;
      } else if (rest.startsWith('?<=') || rest.startsWith('?<!')) {
        kind = rest[2] === '=' ? 'lb' : 'nlb';
        this.i += 3;
      } else if (scoped) {
        kind = 'noncap';
        inner = this.applyFlags(flags, scoped[1] ?? '', scoped[2] ?? '');
        this.i += scoped[0].length;
      } else if (rest.startsWith('?P=')) {
        const m = /^\?P=([A-Za-z_]\w*)\)/.exec(rest);
        if (!m) this.fail('bad (?P= back-reference');
        this.i += m[0].length;
        return { t: 'backref', ref: m[1] as string };
      } else {
        this.fail(
          `group (${rest.slice(0, 3)} (recursion, conditional, branch reset or callout) is not supported`,
        );
      }
    } else if (rest.startsWith('*')) {
      this.fail('backtracking verbs (*...) are not supported');
    }
    const index = kind === 'capture' ? ++this.groups : 0;
    if (name !== undefined) {
      if (this.names.has(name)) this.fail(`duplicate group name ${name}`);
      this.names.set(name, index);
    }
    const body = this.alternation(inner);
    if (this.src[this.i] !== ')') this.fail(`missing ) at offset ${this.i}`);
    this.i++;
    return { t: 'group', kind, index, name, body };
  }

  private escape(flags: Flags): Node | Node[] {
    const c = this.src[this.i];
    if (c === undefined) this.fail('\\ at end of pattern');
    if (c === 'Q') {
      const end = this.src.indexOf('\\E', this.i + 1);
      const text = this.src.slice(this.i + 1, end < 0 ? undefined : end);
      this.i = end < 0 ? this.src.length : end + 2;
      return [...text].map((ch): Node => ({ t: 'char', c: ch, ci: flags.i }));
    }
    if (c === 'E') {
      this.i++;
      return { t: 'raw', js: '' };
    }
    if (UNSUPPORTED_ESCAPES.has(c)) this.fail(`\\${c} is not supported`);
    const backref = this.backref();
    if (backref !== undefined) return backref;
    const literal = this.codeEscape();
    if (literal !== undefined) return { t: 'char', c: literal, ci: flags.i };
    this.i++;
    const mapped = ESCAPES_OUTSIDE[c];
    if (mapped !== undefined) return { t: 'raw', js: mapped };
    if (/[dDwWbBfnrt0]/.test(c)) return { t: 'raw', js: `\\${c}` };
    if (c === 'c') {
      const ctl = this.src[this.i++];
      if (ctl === undefined) this.fail('\\c at end of pattern');
      return { t: 'char', c: String.fromCharCode(ctl.toUpperCase().charCodeAt(0) ^ 0x40), ci: false };
    }
    if (/[a-zA-Z]/.test(c)) this.fail(`unknown escape \\${c}`);
    return { t: 'char', c, ci: flags.i };
  }

  /** `\1`..`\9`, `\g{n}`, `\gn`, `\g{-n}`, `\k<n>` `\k'n'` `\k{n}`; undefined when not one. */
  private backref(): Node | undefined {
    const rest = this.src.slice(this.i);
    let m = /^g\{?(-?\d+)\}?/.exec(rest);
    if (m) {
      this.i += m[0].length;
      const n = Number(m[1]);
      return { t: 'backref', ref: n < 0 ? this.groups + 1 + n : n };
    }
    m = /^(?:k<(\w+)>|k'(\w+)'|k\{(\w+)\}|g\{([A-Za-z_]\w*)\})/.exec(rest);
    if (m) {
      this.i += m[0].length;
      return { t: 'backref', ref: (m[1] ?? m[2] ?? m[3] ?? m[4]) as string };
    }
    m = /^[1-9]\d*/.exec(rest);
    if (m) {
      const n = Number(m[0]);
      // PCRE: \1-\9 are always back-references, \10+ only when that many groups exist
      if (n < 10 || n <= this.groups) {
        this.i += m[0].length;
        return { t: 'backref', ref: n };
      }
    }
    return undefined;
  }

  /** `\xhh`, `\x{h..}`, `\o{..}`, `\0oo`, `\ddd` octal: the character, or undefined. */
  private codeEscape(): string | undefined {
    const rest = this.src.slice(this.i);
    const m =
      /^(?:x\{([0-9a-fA-F]+)\}|x([0-9a-fA-F]{0,2})|o\{([0-7]+)\}|(0[0-7]{0,2})|([1-7][0-7]{1,2}))/.exec(rest);
    if (!m) return undefined;
    this.i += m[0].length;
    const code =
      m[1] !== undefined
        ? Number.parseInt(m[1], 16)
        : m[2] !== undefined
          ? m[2] === ''
            ? 0
            : Number.parseInt(m[2], 16)
          : Number.parseInt((m[3] ?? m[4] ?? m[5]) as string, 8);
    if (code > 0xff) this.fail(`character code ${code} needs UTF mode`);
    return String.fromCharCode(code);
  }

  private charClass(flags: Flags): Node {
    let negated = false;
    if (this.src[this.i] === '^') {
      negated = true;
      this.i++;
    }
    const items: ClassItem[] = [];
    let first = true;
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) this.fail('missing terminating ] for character class');
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.i));
      if (posix) {
        const body = POSIX_CLASSES[posix[2] as string];
        if (body === undefined) this.fail(`unknown POSIX class name ${posix[2]}`);
        if (posix[1] === '^') this.fail('negated POSIX classes are not supported');
        items.push({ t: 'raw', js: body });
        this.i += posix[0].length;
        continue;
      }
      const from = this.classChar();
      if (typeof from !== 'string') {
        items.push(from);
        continue;
      }
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.src[this.i + 1] !== undefined) {
        this.i++;
        const to = this.classChar();
        if (typeof to !== 'string') {
          items.push({ t: 'char', c: from }, { t: 'char', c: '-' }, to);
          continue;
        }
        if (to < from) this.fail('range out of order in character class');
        items.push({ t: 'range', from, to });
        continue;
      }
      items.push({ t: 'char', c: from });
    }
    return { t: 'class', negated, items, ci: flags.i };
  }

  /** One class member: a character, or a raw JS escape such as \d. */
  private classChar(): string | ClassItem {
    const c = this.src[this.i++] as string;
    if (c !== '\\') return c;
    const e = this.src[this.i];
    if (e === undefined) this.fail('\\ at end of pattern');
    const literal = this.codeEscape();
    if (literal !== undefined) return literal;
    this.i++;
    if (e === 'b') return '\b';
    const mapped = ESCAPES_IN_CLASS[e];
    if (mapped !== undefined) return { t: 'raw', js: mapped };
    if (/[dDwWSfnrt]/.test(e)) return { t: 'raw', js: `\\${e}` };
    if (e === 'H' || e === 'V' || e === 'N' || e === 'R' || UNSUPPORTED_ESCAPES.has(e))
      this.fail(`\\${e} is not supported inside a character class`);
    if (/[a-zA-Z]/.test(e)) this.fail(`unknown escape \\${e}`);
    return e;
  }
}

function escapeChar(c: string, inClass: boolean): string {
  if (META.has(c) || (inClass && c === ']')) return `\\${c}`;
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  return c;
}

function otherCase(c: string): string | undefined {
  const u = c.toUpperCase();
  const l = c.toLowerCase();
  if (u !== c && u.length === 1) return u;
  if (l !== c && l.length === 1) return l;
  return undefined;
}

class Emitter {
  private next = 1;
  /** JS index of each PCRE group (set by `number`, used by `emit`). */
  readonly jsIndex: number[] = [0];
  private readonly wrapperIndex = new Map<Node, number>();

  constructor(
    private readonly names: ReadonlyMap<string, number>,
    private readonly globalCi: boolean,
    private readonly source: string,
  ) {}

  /** JS group numbers, in the order `emit` opens parentheses. */
  number(node: Node): void {
    switch (node.t) {
      case 'alt':
        for (const b of node.branches) for (const n of b) this.number(n);
        return;
      case 'group':
        if (node.kind === 'atomic') this.wrapperIndex.set(node, this.next++);
        if (node.kind === 'capture') this.jsIndex[node.index] = this.next++;
        this.number(node.body);
        return;
      case 'quant':
        if (node.possessive) this.wrapperIndex.set(node, this.next++);
        this.number(node.atom);
        return;
      default:
        return;
    }
  }

  emit(node: Node): string {
    switch (node.t) {
      case 'alt':
        return node.branches.map((b) => b.map((n) => this.emit(n)).join('')).join('|');
      case 'char': {
        const other = node.ci && !this.globalCi ? otherCase(node.c) : undefined;
        return other === undefined
          ? escapeChar(node.c, false)
          : `[${escapeChar(node.c, true)}${escapeChar(other, true)}]`;
      }
      case 'raw':
        return node.js;
      case 'class':
        return this.emitClass(node);
      case 'group': {
        const body = this.emit(node.body);
        switch (node.kind) {
          case 'capture':
            return node.name !== undefined ? `(?<${node.name}>${body})` : `(${body})`;
          case 'noncap':
            return `(?:${body})`;
          case 'atomic':
            return this.atomic(node, body);
          case 'la':
            return `(?=${body})`;
          case 'nla':
            return `(?!${body})`;
          case 'lb':
            return `(?<=${body})`;
          case 'nlb':
            return `(?<!${body})`;
        }
        break;
      }
      case 'quant': {
        const atom = this.emit(node.atom);
        const grouped = needsGroup(node.atom) ? `(?:${atom})` : atom;
        const text = `${grouped}${node.q}${node.lazy ? '?' : ''}`;
        return node.possessive ? this.atomic(node, text) : text;
      }
      case 'backref': {
        const pcre = typeof node.ref === 'string' ? this.names.get(node.ref) : node.ref;
        const js = pcre === undefined ? undefined : this.jsIndex[pcre];
        if (js === undefined) throw bad(this.source, `reference to a non-existent group ${String(node.ref)}`);
        // (?:) keeps a following digit from joining the number
        return `\\${js}(?:)`;
      }
    }
    return '';
  }

  /** An atomic group: match the body once in a lookahead, then consume exactly what it took. */
  private atomic(node: Node, body: string): string {
    const index = this.wrapperIndex.get(node) as number;
    return `(?=(${body}))\\${index}(?:)`;
  }

  private emitClass(node: Extract<Node, { t: 'class' }>): string {
    let out = '';
    for (const item of node.items) {
      if (item.t === 'raw') out += item.js;
      else if (item.t === 'char') {
        out += escapeChar(item.c, true);
        const other = node.ci && !this.globalCi ? otherCase(item.c) : undefined;
        if (other !== undefined) out += escapeChar(other, true);
      } else {
        out += `${escapeChar(item.from, true)}-${escapeChar(item.to, true)}`;
        if (node.ci && !this.globalCi) out += caseRanges(item.from, item.to);
      }
    }
    if (out === '') return node.negated ? '[\\s\\S]' : '[]';
    return `[${node.negated ? '^' : ''}${out}]`;
  }
}

/** The other-case counterpart of the letters in a range, as extra class members. */
function caseRanges(from: string, to: string): string {
  const parts: string[] = [];
  const overlap = (lo: number, hi: number, delta: number) => {
    const a = Math.max(lo, from.charCodeAt(0));
    const b = Math.min(hi, to.charCodeAt(0));
    if (a <= b)
      parts.push(
        `${escapeChar(String.fromCharCode(a + delta), true)}-${escapeChar(String.fromCharCode(b + delta), true)}`,
      );
  };
  overlap(0x61, 0x7a, -32);
  overlap(0x41, 0x5a, 32);
  return parts.join('');
}

function needsGroup(atom: Node): boolean {
  if (atom.t === 'alt') return atom.branches.length !== 1 || atom.branches[0]?.length !== 1;
  if (atom.t === 'raw') return atom.js.length > 2 && !atom.js.startsWith('[') && !atom.js.startsWith('(');
  return atom.t === 'quant';
}

/** Every char node ignores case (so the JS `i` flag can replace the per-letter expansion). */
function allCaseInsensitive(node: Node): boolean {
  switch (node.t) {
    case 'alt':
      return node.branches.every((b) => b.every(allCaseInsensitive));
    case 'char':
    case 'class':
      return node.ci;
    case 'group':
      return allCaseInsensitive(node.body);
    case 'quant':
      return allCaseInsensitive(node.atom);
    default:
      return true;
  }
}

function hasCaseSensitiveContent(node: Node): boolean {
  switch (node.t) {
    case 'alt':
      return node.branches.some((b) => b.some(hasCaseSensitiveContent));
    case 'char':
    case 'class':
      return true;
    case 'group':
      return hasCaseSensitiveContent(node.body);
    case 'quant':
      return hasCaseSensitiveContent(node.atom);
    default:
      return false;
  }
}

/**
 * The literal text a match must start the subject with (`^/static/` -> `/static/`), or ''. Most
 * routing regexps are anchored prefixes and most rules do not match a given request, so a
 * startsWith() before exec() turns a rule that does not apply into a few-ns check. Why it pays:
 * V8 spends ~50-100 ns per exec() once a program holds many distinct regexps; measured with
 * RoutingProgram.run on this repo's dev box (2 cores, loaded), 20 non-matching `route` rules
 * took ~2.3 µs per request without the check and ~0.5 µs with it. pcre.test.ts checks that
 * exec() is skipped and that the check never changes a result.
 */
function literalPrefix(node: Node): string {
  if (node.t !== 'alt' || node.branches.length !== 1) return '';
  const [first, ...rest] = node.branches[0] as Node[];
  if (first?.t !== 'raw' || first.js !== '^') return '';
  let prefix = '';
  for (const n of rest) {
    if (n.t !== 'char' || n.ci) break;
    prefix += n.c;
  }
  return prefix;
}

/**
 * Compiles a PCRE pattern as uWSGI's routing uses it.
 * @example compilePcre('^/user/(\\d+)').exec('/user/42') // ['/user/42', '42']
 */
export function compilePcre(source: string): Pcre {
  const parser = new Parser(source);
  const { node, groupCount } = parser.parse();
  const globalCi = hasCaseSensitiveContent(node) && allCaseInsensitive(node);
  const emitter = new Emitter(parser.names, globalCi, source);
  emitter.number(node);
  const js = emitter.emit(node);
  let regexp: RegExp;
  try {
    regexp = new RegExp(js, globalCi ? 'i' : '');
  } catch (err) {
    throw new UwsgiError('ERR_ROUTE_BAD_REGEXP', `regexp "${source}": ${(err as Error).message}`, {
      cause: err,
    });
  }
  const map = emitter.jsIndex;
  const identity = map.every((js, pcre) => js === pcre) && map.length === groupCount + 1;
  const prefix = literalPrefix(node);
  return {
    source,
    regexp,
    groupCount,
    exec(subject: string) {
      if (prefix !== '' && !subject.startsWith(prefix)) return null;
      const m = regexp.exec(subject);
      if (m === null) return null;
      if (identity && m.length === groupCount + 1) return m as unknown as (string | undefined)[];
      const out: (string | undefined)[] = [m[0]];
      for (let g = 1; g <= groupCount; g++) out.push(m[map[g] as number]);
      return out;
    },
  };
}
