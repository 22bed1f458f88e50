// The three text passes over option values (reference §3.1 step 4): `$(ENV)`, then `@(file)`,
// then `%(placeholder)`. Observed on uWSGI 2.0.21 (test/fixtures/config/nesting.ini): the
// innermost reference before the first `)` is replaced, then the scan starts again at index 1 of
// the new value, so `x%(a %(b))` resolves both levels while `%(a %(b))` keeps the outer one.
// An unresolved reference is left verbatim and the scan moves past it.

/** Resolves the text between the parentheses; `undefined` leaves the reference as written. */
export type Resolver = (content: string) => string | undefined;

/** Bound on substitutions in one value, so a self-referencing placeholder cannot loop forever. */
export const MAX_SUBSTITUTIONS = 10_000;

export class ExpansionLoopError extends Error {}

export function expandPass(value: string, opener: '$' | '@' | '%', resolver: Resolver): string {
  const open = `${opener}(`;
  let from = 0;
  let count = 0;
  for (;;) {
    const start = value.indexOf(open, from);
    if (start < 0) return value;
    const close = value.indexOf(')', start + 2);
    if (close < 0) return value;
    // innermost: the last opener before this closing parenthesis
    const inner = value.lastIndexOf(open, close);
    const replacement = resolver(value.slice(inner + 2, close));
    if (replacement === undefined) {
      from = close + 1;
      continue;
    }
    if (++count > MAX_SUBSTITUTIONS)
      throw new ExpansionLoopError(`more than ${MAX_SUBSTITUTIONS} substitutions`);
    value = value.slice(0, inner) + replacement + value.slice(close + 1);
    from = 1;
  }
}

const OPERATORS = new Set(['+', '-', '*', '/']);
const DIGITS = /^[0-9]+$/;

/** C's strtoll on a string: leading blanks, optional sign, digits; anything else stops it (0 if none). */
export function strtoll(text: string): bigint {
  const m = /^[ \t\n\r\f\v]*([+-]?[0-9]+)/.exec(text);
  return m?.[1] ? BigInt(m[1]) : 0n;
}

/**
 * A placeholder's content: a name, or (when it has spaces) uWSGI's left-to-right pipeline
 * (reference §3.4): values concatenate, `+ - * /` apply to the next value, `++`/`--` step the
 * current one, division by zero gives 0. `lookup` returns undefined for a missing name.
 */
export function evaluatePlaceholder(
  content: string,
  lookup: (name: string) => string | undefined,
): string | undefined {
  // `%()` is left as written, even when an option has the empty name (observed)
  if (content === '') return undefined;
  if (!content.includes(' ')) return lookup(content);
  // `current` stays undefined until a value is seen: a leading `++` is ignored (observed).
  let current: string | undefined;
  let pending: string | undefined;
  for (const token of content.split(' ')) {
    if (token === '') continue;
    if (OPERATORS.has(token)) {
      pending = token;
      continue;
    }
    if (token === '++' || token === '--') {
      if (current !== undefined) current = String(strtoll(current) + (token === '++' ? 1n : -1n));
      continue;
    }
    const value = DIGITS.test(token) ? token : (lookup(token) ?? '');
    if (pending === undefined) {
      current = (current ?? '') + value;
      continue;
    }
    current = String(applyOperator(pending, strtoll(current ?? ''), strtoll(value)));
    pending = undefined;
  }
  // only blanks inside: not a pipeline, the reference stays as written (`%( )`, observed)
  return current;
}

function applyOperator(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case '+':
      return BigInt.asIntN(64, a + b);
    case '-':
      return BigInt.asIntN(64, a - b);
    case '*':
      return BigInt.asIntN(64, a * b);
    default:
      return b === 0n ? 0n : BigInt.asIntN(64, a / b);
  }
}
