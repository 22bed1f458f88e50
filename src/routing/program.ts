// The internal routing engine (reference §4): rule options compile once, at worker start, into a
// RoutingProgram (labels resolved to indices, PCRE regexps translated and built, action args
// checked and pre-parsed: STYLE.md rule 5); `run(chain, request, host)` then executes one chain for
// one request and returns a RouteOutcome saying what the worker must do. The engine is sans-I/O:
// whatever needs the world goes through the RoutingHost (host.ts); a rule that does I/O runs in a
// generator, which finishes synchronously unless the host answers with a Promise.
//
// Integration (the worker), in uWSGI's order:
//   start:    program = RoutingProgram.compile(routeEntries(config), { capabilities })  // throws ERR_ROUTE_*
//             `--routers-list` prints routersList() (action-table.ts)
//   request:  if (program.has('request')) outcome = await program.run('request', { vars, startMicros }, host)
//             -> outcome.raw written at once (the app's status/headers are then never sent);
//                response (RoutedResponse) or offload (Offload) instead of the app; code BREAK
//                with neither: end the request with nothing more; otherwise run the app with
//                outcome.vars (when set), modifier1/2, harakiri, and keep headers/transforms for
//                its response; BREAK counts as a routed request; log lines and logVars go to the
//                logger, noLog/noOffload as named.
//   headers:  'error' when a status line is prepared, then 'response' before the app's headers
//             are written (vars + collect-header vars, status = the app's status); HeaderEdit
//             says which edits act on which chain.
//   end:      'final' after the response (only log lines and effects matter there).
// With no rules in a chain, has() is false and nothing is allocated.

import { UwsgiError } from '../errors.js';
import type { ActionRow, Capability, RuleSite } from './action.js';
import { FOREIGN_ACTIONS, findAction } from './action-table.js';
import { CHAINS, type ChainName } from './chains.js';
import { type ConditionRow, findCondition } from './conditions.js';
import type { RoutingHost } from './host.js';
import { isGenerator } from './io.js';
import { RouteCode, type RouteOutcome } from './outcome.js';
import { compilePcre, type Pcre } from './pcre.js';
import { type ParsedRule, parseRule, type RuleEntry, ruleText } from './rule.js';
import { type RouteRequest, RouteRun } from './run.js';
import { parseVars, renderParts, Template } from './translate.js';

// where the rules come from: a light module of its own, so a master without rules never loads this one
export { routeEntries } from './route-entries.js';

const MATCH_ALWAYS = 0;
const MATCH_REGEXP = 1;
const MATCH_STATUS = 2;
const MATCH_CONDITION = 3;
const MATCH_LABEL = 4;

/** One rule, ready to run; every field is always present (one hidden class for all rules). */
interface CompiledRule {
  readonly kind: number;
  readonly subject: string;
  readonly regexp: Pcre | undefined;
  readonly status: number;
  readonly condition: ConditionRow | undefined;
  readonly negate: boolean;
  readonly operandA: Template | undefined;
  /** undefined for a two-operand condition written without `;` (always false). */
  readonly operandB: Template | undefined;
  readonly twoOperands: boolean;
  readonly action: ActionRow | undefined;
  readonly args: unknown;
  /** `route = ^/x foo:bar (app.ini:3)` for log lines. */
  readonly where: string;
}

export interface CompileOptions {
  /** The subsystems this worker has; an action or condition needing another is a start-up error. */
  readonly capabilities?: ReadonlySet<Capability>;
}

const GOTO_BACKWARD = '[uwsgi-route] ERROR "goto" instruction can only jump forward (check your label !!!)';

function compileRule(
  rule: ParsedRule,
  labels: ReadonlyMap<string, number>,
  options: CompileOptions,
): CompiledRule {
  const where = `${ruleText(rule.entry)} (${rule.entry.origin})`;
  const base = {
    kind: MATCH_ALWAYS,
    subject: '',
    regexp: undefined,
    status: 0,
    condition: undefined,
    negate: false,
    operandA: undefined,
    operandB: undefined,
    twoOperands: false,
    action: undefined,
    args: undefined,
    where,
  };
  if (rule.label !== undefined) return { ...base, kind: MATCH_LABEL };
  const capable = (needs: Capability | undefined, what: string) => {
    if (needs !== undefined && !options.capabilities?.has(needs))
      throw new UwsgiError(
        'ERR_ROUTE_SUBSYSTEM_MISSING',
        `${what} needs the ${needs} subsystem, which this uwsgi-ts does not provide or is not configured: ${where}`,
      );
  };
  const action = findAction(rule.action);
  if (action === undefined) {
    const plugin = FOREIGN_ACTIONS.get(rule.action);
    if (plugin !== undefined)
      throw new UwsgiError(
        'ERR_ROUTE_SUBSYSTEM_MISSING',
        `action "${rule.action}" belongs to uWSGI's ${plugin} plugin, which uwsgi-ts does not provide: ${where}`,
      );
    throw new UwsgiError(
      'ERR_ROUTE_UNKNOWN_ACTION',
      `unable to register route: no router for "${rule.action}": ${where}`,
    );
  }
  capable(action.needs, `action "${rule.action}"`);
  const site: RuleSite = {
    rule: ruleText(rule.entry),
    origin: rule.entry.origin,
    labelIndex: (n) => labels.get(n),
  };
  const compiled = { ...base, action, args: action.compile(rule.args, site) };
  const m = rule.match;
  switch (m.kind) {
    case 'run':
      return compiled;
    case 'status':
      return { ...compiled, kind: MATCH_STATUS, status: m.status };
    case 'regexp': {
      let regexp: Pcre;
      try {
        regexp = compilePcre(m.pattern);
      } catch (err) {
        if (err instanceof UwsgiError)
          throw new UwsgiError(err.code, `${err.message}: ${where}`, { cause: err });
        throw err;
      }
      return { ...compiled, kind: MATCH_REGEXP, subject: m.subject, regexp };
    }
    case 'if': {
      const condition = findCondition(m.condition);
      if (condition === undefined)
        throw new UwsgiError(
          'ERR_ROUTE_UNKNOWN_CONDITION',
          `unable to find "${m.condition}" route condition: ${where}`,
        );
      capable(condition.needs, `condition "${m.condition}"`);
      const semi = m.args.indexOf(';');
      const two = condition.operands === 2;
      return {
        ...compiled,
        kind: MATCH_CONDITION,
        condition,
        negate: m.negate,
        twoOperands: two,
        operandA: new Template(two && semi >= 0 ? m.args.slice(0, semi) : m.args),
        operandB: two && semi >= 0 ? new Template(m.args.slice(semi + 1)) : undefined,
      };
    }
  }
}

/** A route-if rule's condition, negated for route-if-not; a thrown error is a condition error. */
function testCondition(
  rule: CompiledRule,
  run: RouteRun,
): boolean | Generator<Promise<unknown>, boolean, unknown> {
  // a two-operand condition written without `;` is false (reference §4.3)
  if (rule.twoOperands && rule.operandB === undefined) return rule.negate;
  const a = (rule.operandA as Template).render(run);
  const b = rule.operandB === undefined ? '' : rule.operandB.render(run);
  const r = (rule.condition as ConditionRow).test(run, a, b);
  if (typeof r === 'boolean') return rule.negate ? !r : r;
  return negated(r, rule.negate);
}

function* negated(g: Generator<Promise<unknown>, boolean, unknown>, negate: boolean) {
  const r = yield* g;
  return negate ? !r : r;
}

/** A rule whose condition or action returned a generator (it does I/O): resumed by `resume`. */
interface Pending {
  readonly pc: number;
  readonly stage: 'condition' | 'action';
  readonly gen: Generator<Promise<unknown>, boolean | RouteCode, unknown>;
}

function failed(rule: CompiledRule, run: RouteRun, err: unknown): RouteCode {
  run.outcome.log.push(
    `[uwsgi-route] ERROR ${err instanceof Error ? err.message : String(err)}: ${rule.where}`,
  );
  return RouteCode.BREAK;
}

/** After a rule ran: the chain's end code, or undefined to go on (a goto must jump forward). */
function after(run: RouteRun, pc: number, code: RouteCode): RouteCode | undefined {
  if (code !== RouteCode.NEXT) return code;
  if (run.gotoPending && run.gotoTarget <= pc) {
    run.outcome.log.push(GOTO_BACKWARD);
    return RouteCode.BREAK;
  }
  return undefined;
}

/**
 * The engine loop of reference §4.2 from rule `from`: a plain function, so that the common rules
 * (regexps, status, run, pure conditions and actions) cost no allocation; it stops at the first
 * rule that needs I/O and hands it back as Pending.
 */
function step(rules: readonly CompiledRule[], run: RouteRun, from: number): RouteCode | Pending {
  for (let pc = from; pc < rules.length; pc++) {
    const rule = rules[pc] as CompiledRule;
    // a goto skips the rules before its target
    if (run.gotoPending) {
      if (pc < run.gotoTarget) continue;
      run.gotoPending = false;
    }
    let code: RouteCode;
    try {
      switch (rule.kind) {
        case MATCH_LABEL:
          continue;
        case MATCH_REGEXP: {
          const m = (rule.regexp as Pcre).exec(run.get(rule.subject));
          if (m === null) continue;
          run.captures = m;
          break;
        }
        case MATCH_STATUS:
          if (run.status !== rule.status) continue;
          run.resetCaptures();
          break;
        case MATCH_CONDITION: {
          run.resetCaptures();
          const r = testCondition(rule, run);
          if (typeof r !== 'boolean') return { pc, stage: 'condition', gen: r };
          if (!r) continue;
          break;
        }
        default:
          run.resetCaptures();
      }
      const r = (rule.action as ActionRow).run(run, rule.args);
      if (isGenerator<RouteCode>(r)) return { pc, stage: 'action', gen: r };
      code = r;
    } catch (err) {
      return failed(rule, run, err);
    }
    const end = after(run, pc, code);
    if (end !== undefined) return end;
  }
  return RouteCode.NEXT;
}

/** Finishes a Pending rule (its I/O may suspend on a Promise), then goes on with `step`. */
function* resumeChain(
  rules: readonly CompiledRule[],
  run: RouteRun,
  first: Pending,
): Generator<Promise<unknown>, RouteCode, unknown> {
  let pending = first;
  for (;;) {
    const rule = rules[pending.pc] as CompiledRule;
    let code: RouteCode = RouteCode.NEXT;
    try {
      const value = yield* pending.gen;
      if (pending.stage === 'action') code = value as RouteCode;
      else if (value === true) {
        const r = (rule.action as ActionRow).run(run, rule.args);
        code = isGenerator<RouteCode>(r) ? yield* r : r;
      }
    } catch (err) {
      return failed(rule, run, err);
    }
    const end = after(run, pending.pc, code);
    if (end !== undefined) return end;
    const next = step(rules, run, pending.pc + 1);
    if (typeof next === 'number') return next;
    pending = next;
  }
}

function finish(run: RouteRun, code: RouteCode): RouteOutcome {
  run.outcome.code = code;
  return run.outcome;
}

async function resume(
  gen: Generator<Promise<unknown>, RouteCode, unknown>,
  pending: Promise<unknown>,
  run: RouteRun,
): Promise<RouteOutcome> {
  let wait = pending;
  for (;;) {
    let step: IteratorResult<Promise<unknown>, RouteCode>;
    try {
      try {
        step = gen.next(await wait);
      } catch (err) {
        // a rejected host answer resumes the rule with the error (it becomes a BREAK there)
        step = gen.throw(err);
      }
    } catch (err) {
      run.outcome.log.push(`[uwsgi-route] ERROR ${err instanceof Error ? err.message : String(err)}`);
      return finish(run, RouteCode.BREAK);
    }
    if (step.done) return finish(run, step.value);
    wait = step.value;
  }
}

export class RoutingProgram {
  private readonly chains: Readonly<Record<ChainName, readonly CompiledRule[]>>;

  private constructor(chains: Record<ChainName, readonly CompiledRule[]>) {
    this.chains = chains;
  }

  /**
   * Compiles the rule options (in config order) into a program; throws a coded UwsgiError naming
   * the option, its value and its origin for the first bad rule.
   * @example RoutingProgram.compile([{ option: 'route', value: '^/old redirect:/new', origin: 'app.ini:3' }])
   */
  static compile(entries: Iterable<RuleEntry>, options: CompileOptions = {}): RoutingProgram {
    const parsed: Record<ChainName, ParsedRule[]> = { request: [], error: [], response: [], final: [] };
    for (const entry of entries) {
      const rule = parseRule(entry);
      if (rule) parsed[rule.chain].push(rule);
    }
    const chains = {} as Record<ChainName, readonly CompiledRule[]>;
    for (const chain of CHAINS) {
      const rules = parsed[chain];
      // labels are rules too (numbered with them); the first of a name wins
      const labels = new Map<string, number>();
      rules.forEach((r, i) => {
        if (r.label !== undefined && !labels.has(r.label)) labels.set(r.label, i);
      });
      chains[chain] = Object.freeze(rules.map((r) => compileRule(r, labels, options)));
    }
    return new RoutingProgram(chains);
  }

  /** The chain has rules (check this before building a request view: no rules, no cost). */
  has(chain: ChainName): boolean {
    return this.chains[chain].length > 0;
  }

  /** Number of rules (labels included) of a chain. */
  size(chain: ChainName): number {
    return this.chains[chain].length;
  }

  /**
   * The `${...}` route vars of `text` for a request (pass 2 of reference §4.5 only): what the
   * `template` transformation does to a response body (observed on 2.0.21: transform-template).
   */
  static expand(text: string, request: RouteRequest, host: RoutingHost): string {
    return renderParts(parseVars(text), new RouteRun(request, host));
  }

  /**
   * Runs one chain for one request. Synchronous unless a host method answered with a Promise.
   * Never throws for a request: a failing rule ends the request (BREAK) with a log line.
   */
  run(chain: ChainName, request: RouteRequest, host: RoutingHost): RouteOutcome | Promise<RouteOutcome> {
    const run = new RouteRun(request, host);
    const rules = this.chains[chain];
    const first = step(rules, run, 0);
    if (typeof first === 'number') return finish(run, first);
    // a rule does I/O: a generator carries the rest, synchronous unless the host answers a Promise
    const gen = resumeChain(rules, run, first);
    let next: IteratorResult<Promise<unknown>, RouteCode>;
    try {
      next = gen.next();
    } catch (err) {
      return finish(run, failed(rules[first.pc] as CompiledRule, run, err));
    }
    if (next.done) return finish(run, next.value);
    return resume(gen, next.value, run);
  }
}
