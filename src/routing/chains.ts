// The four chains of reference §4.1 and the option suffixes that feed them: which option adds a
// rule to which chain, and what the rule tests (a var's regexp, the status, a condition, nothing,
// or a label). The table is built from the suffix rows, so every chain takes the same forms.

export const CHAINS = ['request', 'error', 'response', 'final'] as const;
export type ChainName = (typeof CHAINS)[number];

const PREFIX: Readonly<Record<ChainName, string>> = {
  request: 'route',
  error: 'error-route',
  response: 'response-route',
  final: 'final-route',
};

export type RuleForm =
  | { readonly kind: 'regexp'; readonly subject: string }
  | { readonly kind: 'status' }
  | { readonly kind: 'if'; readonly negate: boolean }
  | { readonly kind: 'run' }
  | { readonly kind: 'label' };

/** Suffix -> what the rule tests; the regexp rows name the request var they match. */
const SUFFIXES: Readonly<Record<string, RuleForm>> = {
  '': { kind: 'regexp', subject: 'PATH_INFO' },
  '-host': { kind: 'regexp', subject: 'HTTP_HOST' },
  '-uri': { kind: 'regexp', subject: 'REQUEST_URI' },
  '-qs': { kind: 'regexp', subject: 'QUERY_STRING' },
  '-remote-addr': { kind: 'regexp', subject: 'REMOTE_ADDR' },
  '-user-agent': { kind: 'regexp', subject: 'HTTP_USER_AGENT' },
  '-remote-user': { kind: 'regexp', subject: 'REMOTE_USER' },
  '-referer': { kind: 'regexp', subject: 'HTTP_REFERER' },
  '-status': { kind: 'status' },
  '-if': { kind: 'if', negate: false },
  '-if-not': { kind: 'if', negate: true },
  '-run': { kind: 'run' },
  '-label': { kind: 'label' },
};

export interface RouteOption {
  readonly chain: ChainName;
  readonly form: RuleForm;
}

/** Every rule option (`route`, `route-if`, `response-route-status`...) -> its chain and form. */
export const ROUTE_OPTIONS: ReadonlyMap<string, RouteOption> = new Map(
  CHAINS.flatMap((chain) =>
    Object.entries(SUFFIXES)
      // the request chain has no status yet: there is no route-status
      .filter(([suffix]) => !(chain === 'request' && suffix === '-status'))
      .map(([suffix, form]) => [`${PREFIX[chain]}${suffix}`, { chain, form }] as const),
  ),
);
