// Runs a fuzz campaign against the real CLI (2 workers, one socket of the protocol under test):
// a warm-up, then the cases over many concurrent connections with valid control requests
// interleaved, then the counters the checks read: worker deaths, hangs, undropped stalls, app
// calls per connection and in total, control answers, worker RSS, log bytes per case.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { type CaseOptions, DEFAULT_CASE_OPTIONS, type FuzzCase, makeCase } from './cases.js';
import {
  type Bounds,
  bodyOf,
  type CaseOutcome,
  LoopWatch,
  request,
  runCase,
  statusOf,
  type Target,
} from './client.js';
import { MUTATIONS, type MutationName } from './mutations.js';
import { freshSeed } from './random.js';
import type { Protocol } from './requests.js';

export const FUZZ_APP = join(REPO, 'test', 'fixtures', 'apps', 'fuzz.mjs');

/** The option that binds a socket of each protocol. */
const SOCKET_FLAG: Record<Protocol, string> = {
  http: '--http-socket',
  uwsgi: '--socket',
  fastcgi: '--fastcgi-socket',
  scgi: '--scgi-socket',
};

export interface FuzzOptions {
  readonly seed: number;
  readonly cases: number;
  /** Run only this case (a replay). */
  readonly only?: number | undefined;
  /** Connections in flight at once. */
  readonly concurrency: number;
  /** The server's socket-timeout, in seconds. */
  readonly socketTimeout: number;
  readonly caseOptions: CaseOptions;
  /** Worker RSS is sampled this many times during the run (the long run's leak curve). */
  readonly rssSamples: number;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface ControlStats {
  sent: number;
  ok: number;
  /** Failed while this process itself was stalled (not judged). */
  starved: number;
  readonly failures: string[];
  maxMs: number;
}

export interface FuzzReport {
  readonly protocol: Protocol;
  readonly seed: number;
  readonly cases: number;
  readonly elapsedMs: number;
  readonly casesPerSecond: number;
  /** `DAMN ! worker` and `Respawned` lines of the master during the run. */
  readonly deaths: readonly string[];
  readonly workerPids: readonly number[];
  readonly workersAlive: boolean;
  /** Half-closed connections neither answered nor closed within the hang bound. */
  readonly hangs: readonly CaseOutcome[];
  /** Held (stalled) connections with no answer, not dropped within socket-timeout + slack. */
  readonly stalls: readonly CaseOutcome[];
  /** Connections that got more app answers than their bytes justify. */
  readonly overCalls: readonly (CaseOutcome & { readonly maxCalls: number })[];
  /** Whole valid requests (intact, in any chunks) that got no app answer. */
  readonly unanswered: readonly CaseOutcome[];
  /** Pipelined copies of a whole valid request that got no app answer at all. */
  readonly pipelinedUnanswered: readonly CaseOutcome[];
  /** Valid requests followed by junk that got no app answer. */
  readonly junkUnanswered: readonly CaseOutcome[];
  readonly control: ControlStats;
  /** Cases not judged on timing because this process stalled during them (a busy machine). */
  readonly starved: number;
  readonly clientStallMs: number;
  /** The fuzz app's call counters, all workers. */
  readonly appCalls: number;
  /** The sum over cases of the calls their bytes justify. */
  readonly allowedCalls: number;
  /** Worker RSS in kB: after the warm-up, during the run, at the end. */
  readonly rssStartKb: readonly number[];
  readonly rssSamplesKb: readonly (readonly number[])[];
  readonly rssEndKb: readonly number[];
  /** Worker V8 heap in use after a full collection, in kB: after the warm-up and at the end. */
  readonly heapStartKb: readonly number[];
  readonly heapEndKb: readonly number[];
  readonly externalStartKb: readonly number[];
  readonly externalEndKb: readonly number[];
  readonly logBytes: number;
  readonly logLines: number;
  /** Lines the run can justify: one per app call the bytes justify, one error line per connection,
   * one per control or stats request. */
  readonly logLinesJustified: number;
  readonly kinds: Readonly<Record<string, number>>;
}

export function optionsFromEnv(defaults: { cases: number; concurrency: number }): FuzzOptions {
  const env = process.env;
  const only = env['FUZZ_CASE'] === undefined ? undefined : Number(env['FUZZ_CASE']);
  return {
    seed: env['FUZZ_SEED'] === undefined ? freshSeed() : Number(env['FUZZ_SEED']) >>> 0,
    cases: env['FUZZ_CASES'] === undefined ? defaults.cases : Number(env['FUZZ_CASES']),
    only,
    concurrency:
      env['FUZZ_CONCURRENCY'] === undefined ? defaults.concurrency : Number(env['FUZZ_CONCURRENCY']),
    // uWSGI's default: shorter makes a busy machine's scheduling delays look like server faults
    socketTimeout: 4,
    caseOptions: {
      ...DEFAULT_CASE_OPTIONS,
      skip: (env['FUZZ_SKIP'] ?? '').split(',').filter((k): k is MutationName => k in MUTATIONS),
    },
    rssSamples: 0,
  };
}

/** How to replay a run (or one case of it). */
export function replayLine(protocol: Protocol, options: FuzzOptions, index?: number): string {
  const one = index === undefined ? '' : ` FUZZ_CASE=${index}`;
  return `FUZZ_SEED=${options.seed} FUZZ_CASES=${options.cases}${one} node scripts/run-tests.mjs test/fuzz/${protocol}.test.ts`;
}

export function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface FuzzServer {
  readonly server: RunningServer;
  readonly target: Target;
  readonly workerPids: readonly number[];
}

export async function startFuzzServer(protocol: Protocol, socketTimeout: number): Promise<FuzzServer> {
  const server = await startServer([
    '--master',
    '--processes',
    '2',
    SOCKET_FLAG[protocol],
    '127.0.0.1:0',
    '--socket-timeout',
    String(socketTimeout),
    '--app',
    FUZZ_APP,
  ]);
  const workerPids = [...server.log().matchAll(/spawned uWSGI worker \d+ \(pid: (\d+)/g)].map((m) =>
    Number(m[1]),
  );
  return { server, target: { host: '127.0.0.1', port: server.port }, workerPids };
}

/** Runs `count` jobs with at most `concurrency` at once. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      await job(i);
    }
  });
  await Promise.all(lanes);
}

interface AppStats {
  readonly calls: number;
  readonly control: number;
  /** V8 heap in use, and memory outside it that JS objects hold (Buffers), after a full
   * collection when asked with gc. */
  readonly heapUsed: number;
  readonly external: number;
}

/** The app's counters from every worker: asks /__stats until each pid has answered. */
async function appCounters(
  target: Target,
  protocol: Protocol,
  pids: readonly number[],
  gc: boolean,
): Promise<{ counters: Map<number, AppStats>; asked: number }> {
  const seen = new Map<number, AppStats>();
  let asked = 0;
  for (; asked < 400 && seen.size < pids.length; asked++) {
    const uri = gc ? '/__stats?gc=1' : '/__stats';
    const reply = await request(target, protocol, uri, 5000).catch(() => undefined);
    const m = reply && /\{"fzstats".*\}/.exec(reply.text);
    if (!m) continue;
    const stats: unknown = JSON.parse(m[0]);
    if (typeof stats !== 'object' || stats === null) continue;
    const { pid, calls, control, heapUsed, external } = stats as Record<string, unknown>;
    if (
      typeof pid === 'number' &&
      typeof calls === 'number' &&
      typeof control === 'number' &&
      typeof heapUsed === 'number' &&
      typeof external === 'number' &&
      !seen.has(pid)
    ) {
      seen.set(pid, { calls, control, heapUsed, external });
    }
  }
  return { counters: seen, asked };
}

async function controlRequest(
  target: Target,
  protocol: Protocol,
  n: number,
  stats: ControlStats,
  watch?: LoopWatch,
): Promise<void> {
  const nonce = `${n}x${Math.floor(Math.random() * 1e9).toString(36)}`;
  const started = performance.now();
  stats.sent++;
  try {
    const reply = await request(target, protocol, `/__ctl/${nonce}`, 5000);
    stats.maxMs = Math.max(stats.maxMs, reply.ms);
    if (statusOf(reply.text) === 200 && bodyOf(reply.text) === `ctl ${nonce}\n`) stats.ok++;
    else stats.failures.push(`control ${nonce}: ${JSON.stringify(reply.text.slice(0, 300))}`);
  } catch (err) {
    if (watch?.stalledDuring(started, performance.now())) stats.starved++;
    else stats.failures.push(`control ${nonce}: ${(err as Error).message}`);
  }
}

export async function runFuzz(protocol: Protocol, fs: FuzzServer, options: FuzzOptions): Promise<FuzzReport> {
  const { server, target, workerPids } = fs;
  const bounds: Bounds = {
    hangMs: (options.socketTimeout + 4) * 1000,
    stallMs: (options.socketTimeout + 2) * 1000,
  };

  // warm-up: valid requests until the workers' heaps and JIT settle, then the RSS baseline
  const warm: ControlStats = { sent: 0, ok: 0, starved: 0, failures: [], maxMs: 0 };
  await pool(400, 8, (i) => controlRequest(target, protocol, -i - 1, warm));
  if (warm.ok !== warm.sent) throw new Error(`warm-up failed: ${warm.failures.slice(0, 3).join('\n')}`);
  const settled = await appCounters(target, protocol, workerPids, true);
  const heapStartKb = workerPids.map((pid) => Math.round((settled.counters.get(pid)?.heapUsed ?? 0) / 1024));
  const externalStartKb = workerPids.map((pid) =>
    Math.round((settled.counters.get(pid)?.external ?? 0) / 1024),
  );
  await sleep(200);
  const rssStartKb = workerPids.map(rssKb);
  const logFrom = server.log().length;

  const indexes =
    options.only === undefined ? Array.from({ length: options.cases }, (_, i) => i) : [options.only];
  const cases: FuzzCase[] = [];
  const outcomes: CaseOutcome[] = [];
  const rssSamplesKb: number[][] = [];
  const sampleEvery =
    options.rssSamples > 0 ? Math.max(1, Math.floor(indexes.length / options.rssSamples)) : 0;
  const control: ControlStats = { sent: 0, ok: 0, starved: 0, failures: [], maxMs: 0 };
  // a gap of a quarter of the socket-timeout in our own loop can make the server drop us rightly
  const watch = new LoopWatch((options.socketTimeout * 1000) / 4);
  let running = true;
  let done = 0;

  const started = performance.now();
  const controls = (async () => {
    for (let n = 0; running; n++) {
      await controlRequest(target, protocol, n, control, watch);
      await sleep(20);
    }
  })();
  await pool(indexes.length, options.concurrency, async (i) => {
    const c = makeCase(protocol, options.seed, indexes[i] ?? 0, options.caseOptions);
    cases[i] = c;
    outcomes[i] = await runCase(target, c, bounds);
    done++;
    if (sampleEvery > 0 && done % sampleEvery === 0) rssSamplesKb.push(workerPids.map(rssKb));
    if (done % 1000 === 0) options.onProgress?.(done, indexes.length);
  });
  const elapsedMs = performance.now() - started;
  running = false;
  await controls;
  watch.close();

  // late log lines (an error logged as its connection closes) and the workers settling
  await sleep(500);
  const { counters, asked } = await appCounters(target, protocol, workerPids, true);
  const heapEndKb = workerPids.map((pid) => Math.round((counters.get(pid)?.heapUsed ?? 0) / 1024));
  const externalEndKb = workerPids.map((pid) => Math.round((counters.get(pid)?.external ?? 0) / 1024));
  let appCalls = 0;
  for (const { calls } of counters.values()) appCalls += calls;
  await sleep(300);
  const rssEndKb = workerPids.map(rssKb);
  const log = server.log().slice(logFrom);

  const hangs: CaseOutcome[] = [];
  const stalls: CaseOutcome[] = [];
  const overCalls: (CaseOutcome & { maxCalls: number })[] = [];
  const unanswered: CaseOutcome[] = [];
  const pipelinedUnanswered: CaseOutcome[] = [];
  const junkUnanswered: CaseOutcome[] = [];
  const kinds: Record<string, number> = {};
  let allowedCalls = 0;
  let starved = 0;
  for (const [i, c] of cases.entries()) {
    const o = outcomes[i];
    if (o === undefined) continue;
    kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    allowedCalls += c.maxCalls;
    if (o.calls > c.maxCalls) overCalls.push({ ...o, maxCalls: c.maxCalls });
    // timing verdicts are not given for a case during which this process itself stalled
    if (watch.stalledDuring(o.startedAt, o.endedAt)) {
      starved++;
      continue;
    }
    if (o.timedOut && !c.hold) hangs.push(o);
    if (o.timedOut && c.hold && o.calls === 0) stalls.push(o);
    if (c.answerExpected && o.calls === 0) {
      if (c.kind === 'junk') junkUnanswered.push(o);
      else if (c.kind === 'duplicate') pipelinedUnanswered.push(o);
      else unanswered.push(o);
    }
  }
  const deaths = log.split('\n').filter((l) => /DAMN ! worker|Respawned uWSGI worker/.test(l));
  return {
    protocol,
    seed: options.seed,
    cases: indexes.length,
    elapsedMs,
    casesPerSecond: (indexes.length / elapsedMs) * 1000,
    deaths,
    workerPids,
    workersAlive: workerPids.every(alive) && counters.size === workerPids.length,
    hangs,
    stalls,
    overCalls,
    unanswered,
    pipelinedUnanswered,
    junkUnanswered,
    control,
    starved,
    clientStallMs: watch.longestMs,
    appCalls,
    allowedCalls,
    rssStartKb,
    rssSamplesKb,
    rssEndKb,
    heapStartKb,
    heapEndKb,
    externalStartKb,
    externalEndKb,
    logBytes: Buffer.byteLength(log),
    logLines: log.split('\n').length - 1,
    logLinesJustified: allowedCalls + indexes.length + control.sent + asked,
    kinds,
  };
}

/** A few failing cases with their replay lines, for an assertion message. */
export function describeCases(
  protocol: Protocol,
  options: FuzzOptions,
  list: readonly CaseOutcome[],
  limit = 5,
): string {
  const rows = list
    .slice(0, limit)
    .map(
      (o) =>
        `  case ${o.index} (${o.kind}): ${o.calls} app answers, ${o.bytesIn} bytes back, ` +
        `${o.closedByServer ? 'closed by the server' : 'closed by the client'} after ${Math.round(o.ms)} ms` +
        `${o.head ? `, starting ${JSON.stringify(o.head.slice(0, 100))}` : ''}\n` +
        `    replay: ${replayLine(protocol, options, o.index)}`,
    );
  const kinds = new Map<string, number>();
  for (const o of list) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
  const tally = [...kinds].map(([k, n]) => `${k} ${n}`).join(', ');
  return `${list.length} case(s) (${tally}), seed ${options.seed}:\n${rows.join('\n')}`;
}

/** One line of figures (the long run's table row, the bounded run's diagnostic). */
export function summary(r: FuzzReport): string {
  const mb = (kb: readonly number[]) => kb.map((k) => (k / 1024).toFixed(1)).join('+');
  return (
    `${r.protocol}: ${r.cases} cases in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.casesPerSecond.toFixed(0)}/s), ` +
    `seed ${r.seed}; deaths ${r.deaths.length}, hangs ${r.hangs.length}, undropped stalls ${r.stalls.length}, ` +
    `over-called connections ${r.overCalls.length}, unanswered ${r.unanswered.length} + ${r.pipelinedUnanswered.length} pipelined ` +
    `+ ${r.junkUnanswered.length} after junk; ` +
    `app calls ${r.appCalls} (bytes justify ${r.allowedCalls}); control ${r.control.ok}/${r.control.sent} ` +
    `(max ${r.control.maxMs.toFixed(0)} ms); not judged on timing: ${r.starved} cases, ${r.control.starved} controls ` +
    `(client stalled up to ${r.clientStallMs.toFixed(0)} ms); RSS MB ${mb(r.rssStartKb)} -> ${mb(r.rssEndKb)}, ` +
    `heap after gc MB ${mb(r.heapStartKb)} -> ${mb(r.heapEndKb)}, ` +
    `external MB ${mb(r.externalStartKb)} -> ${mb(r.externalEndKb)}; ` +
    `log ${(r.logBytes / r.cases).toFixed(0)} B/case (${r.logLines} lines)`
  );
}
