// The `route-if` conditions of reference §4.3, one row each. Two-operand conditions split their
// args at the first `;` *before* translation (observed on 2.0.21: a var holding `;` stays whole);
// a missing `;` makes them false (so true under route-if-not). A condition error (a bad regexp
// from translation) ends the request, as uWSGI's negative return does.

import type { Capability } from './action.js';
import { io } from './io.js';
import { ipv4In, ipv6In } from './ip-range.js';
import { parseKvList } from './kvlist.js';
import { compilePcre, type Pcre } from './pcre.js';
import { atoi } from './route-vars.js';
import type { RouteRun } from './run.js';

/** True/false, or a generator doing I/O first. A thrown error is a condition error. */
export type ConditionResult = boolean | Generator<Promise<unknown>, boolean, unknown>;

export interface ConditionRow {
  /** 2: `a;b` (split before translation); 1: the whole args. */
  readonly operands: 1 | 2;
  readonly needs?: Capability;
  test(run: RouteRun, a: string, b: string): ConditionResult;
}

function* stat(
  run: RouteRun,
  path: string,
  follow: boolean,
  pick: (s: { isFile: boolean; isDirectory: boolean; isSymbolicLink: boolean }) => boolean,
) {
  const facts = yield* io(run.host.stat(path, follow));
  return facts !== undefined && pick(facts);
}

/** Regexps that come out of translation, compiled once per distinct text (bounded). */
const dynamicRegexps = new Map<string, Pcre>();
const DYNAMIC_REGEXP_LIMIT = 256;

function dynamicRegexp(source: string): Pcre {
  let re = dynamicRegexps.get(source);
  if (re === undefined) {
    re = compilePcre(source);
    if (dynamicRegexps.size >= DYNAMIC_REGEXP_LIMIT) dynamicRegexps.clear();
    dynamicRegexps.set(source, re);
  }
  return re;
}

function regexpCondition(run: RouteRun, subject: string, pattern: string): boolean {
  const m = dynamicRegexp(pattern).exec(subject);
  if (m === null) return false;
  // the condition's captures replace $0..$9 for the action (reference §4.3)
  run.captures = m;
  return true;
}

const one = (test: (run: RouteRun, a: string) => ConditionResult): ConditionRow => ({ operands: 1, test });
const two = (test: (run: RouteRun, a: string, b: string) => ConditionResult): ConditionRow => ({
  operands: 2,
  test,
});

const exists = one((run, a) => stat(run, a, true, () => true));
const equal = two((_r, a, b) => a === b);
const regexp = two(regexpCondition);
const contains = two((_r, a, b) => a.includes(b));
const higher = two((_r, a, b) => atoi(a) > atoi(b));
const higherEqual = two((_r, a, b) => atoi(a) >= atoi(b));
const lower = two((_r, a, b) => atoi(a) < atoi(b));
const lowerEqual = two((_r, a, b) => atoi(a) <= atoi(b));

export const CONDITIONS = {
  exists,
  isfile: one((run, a) => stat(run, a, true, (s) => s.isFile)),
  isdir: one((run, a) => stat(run, a, true, (s) => s.isDirectory)),
  islink: one((run, a) => stat(run, a, false, (s) => s.isSymbolicLink)),
  isexec: one(function* (run, a) {
    return yield* io(run.host.isExecutable(a));
  }),
  equal,
  isequal: equal,
  eq: equal,
  '==': equal,
  startswith: two((_r, a, b) => a.startsWith(b)),
  endswith: two((_r, a, b) => a.endsWith(b)),
  regexp,
  re: regexp,
  ishigher: higher,
  '>': higher,
  ishigherequal: higherEqual,
  '>=': higherEqual,
  islower: lower,
  '<': lower,
  islowerequal: lowerEqual,
  '<=': lowerEqual,
  contains,
  contain: contains,
  empty: one((_r, a) => a.length === 0),
  ipv4in: two((_r, a, b) => ipv4In(a, b)),
  ipv6in: two((_r, a, b) => ipv6In(a, b)),
  lord: one((run, a) => run.host.isLord(a)),
  // router_cache: `key=K[,name=CACHE]`
  incache: {
    operands: 1,
    needs: 'cache',
    *test(run: RouteRun, a: string) {
      const kv = parseKvList(a);
      const key = kv?.get('key');
      if (key === undefined) return false;
      const hit = yield* io(run.host.cache({ op: 'exists', cache: kv?.get('name'), key }));
      return hit === true || hit instanceof Uint8Array;
    },
  },
} as const satisfies Record<string, ConditionRow>;

export type ConditionName = keyof typeof CONDITIONS;

export function findCondition(name: string): ConditionRow | undefined {
  return Object.hasOwn(CONDITIONS, name) ? CONDITIONS[name as ConditionName] : undefined;
}
