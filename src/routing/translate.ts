// Route-var translation of action args and condition operands (reference §4.5), compiled once.
// uWSGI makes two passes, and both are reproduced because they are visible to users (every rule
// below was observed on 2.0.21, see test/unit/routing/translate.test.ts):
//  1. `$0`..`$9` become the captures of the rule's regexp (or of a `regexp:` condition); a `$`
//     followed by another character is copied with it, and a `$` that ends the text is dropped.
//  2. the result is scanned for `${NAME}` (a request var; missing = empty) and `${func[arg]}` (a
//     route var of route-vars.ts; an unknown func makes the whole `func[arg]` a var name); a `$`
//     followed by another character is copied with it, a final `$` and an unterminated `${...`
//     are kept as they are.
// Because pass 2 runs on pass 1's output, a capture holding `${...}` is expanded too (a path
// `/x/${HTTP_HOST}` through `$1` yields the host, as in uWSGI). A template without `$N` is parsed
// for pass 2 once at start-up; one with `$N` is re-scanned per request, like uWSGI does.

import { ROUTE_VARS, type RouteVarName } from './route-vars.js';
import type { RouteRun } from './run.js';

type Part =
  | { readonly t: 'lit'; readonly text: string }
  | { readonly t: 'var'; readonly name: string }
  | { readonly t: 'fn'; readonly fn: RouteVarName; readonly arg: string };

type CapturePart = string | number;

function isRouteVar(name: string): name is RouteVarName {
  return Object.hasOwn(ROUTE_VARS, name);
}

/** Pass 2 over `text`: literal runs, var lookups and route-var calls. */
export function parseVars(text: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const next = text.indexOf('$', i);
    if (next < 0) {
      lit += text.slice(i);
      break;
    }
    lit += text.slice(i, next);
    i = next;
    if (text.charCodeAt(i + 1) !== 123 /* { */) {
      // `$x` copied as it is; a final `$` is kept
      lit += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) {
      lit += text.slice(i);
      break;
    }
    if (lit !== '') parts.push({ t: 'lit', text: lit });
    lit = '';
    parts.push(varPart(text.slice(i + 2, close)));
    i = close + 1;
  }
  if (lit !== '') parts.push({ t: 'lit', text: lit });
  return parts;
}

function varPart(name: string): Part {
  const open = name.indexOf('[');
  if (open > 0 && name.endsWith(']')) {
    const fn = name.slice(0, open);
    if (isRouteVar(fn)) return { t: 'fn', fn, arg: name.slice(open + 1, -1) };
  }
  return { t: 'var', name };
}

/** Pass 1 over `text`: literal runs and capture numbers (a final lone `$` dropped). */
function parseCaptures(text: string): CapturePart[] {
  const parts: CapturePart[] = [];
  let lit = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch !== '$') {
      lit += ch;
      continue;
    }
    if (i + 1 >= text.length) break;
    const d = text.charCodeAt(i + 1) - 48;
    if (d >= 0 && d <= 9) {
      if (lit !== '') parts.push(lit);
      lit = '';
      parts.push(d);
    } else lit += text.slice(i, i + 2);
    i++;
  }
  if (lit !== '') parts.push(lit);
  return parts;
}

export function renderParts(parts: readonly Part[], run: RouteRun): string {
  let out = '';
  for (const p of parts) {
    if (p.t === 'lit') out += p.text;
    else if (p.t === 'var') out += run.get(p.name);
    else out += ROUTE_VARS[p.fn](run, p.arg);
  }
  return out;
}

/**
 * An action arg or condition operand, compiled at start-up.
 * @example new Template('/new/$1?x=${QUERY_STRING}').render(run)
 */
export class Template {
  /** The text as written in the config. */
  readonly source: string;
  /** Set when the text has no `$` at all: render() returns it as it is. */
  readonly constant: string | undefined;
  /** Pass 1's pieces when the text uses `$N` (pass 2 then runs per request). */
  private readonly captures: CapturePart[] | undefined;
  /** Pass 2's pieces of the pass 1 result, when that result is the same for every request. */
  private readonly parts: Part[];

  constructor(source: string) {
    this.source = source;
    this.constant = source.includes('$') ? undefined : source;
    const pass1 = parseCaptures(source);
    const fixed = pass1.every((p) => typeof p === 'string');
    this.captures = fixed ? undefined : pass1;
    this.parts = fixed ? parseVars(pass1.join('')) : [];
  }

  /** The text with captures and vars filled in for this request. */
  render(run: RouteRun): string {
    if (this.constant !== undefined) return this.constant;
    if (this.captures === undefined) return renderParts(this.parts, run);
    let first = '';
    const caps = run.captures;
    for (const p of this.captures) first += typeof p === 'string' ? p : (caps[p] ?? '');
    return renderParts(parseVars(first), run);
  }
}
