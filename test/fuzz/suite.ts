// The bounded fuzz run as node:test checks, one describe per protocol: the campaign runs once in
// before(), then each check is its own test, so a check that today's server fails for a known
// reason is marked `todo` by name (and still runs and reports) while the others gate the suite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  describeCases,
  type FuzzReport,
  type FuzzServer,
  optionsFromEnv,
  replayLine,
  runFuzz,
  startFuzzServer,
  summary,
} from './harness.js';
import type { Protocol } from './requests.js';

/** The checks of a run, by name; a protocol's test file may mark some `todo` with a reason. */
export const CHECKS = {
  'the client could judge most cases (it was not starved of CPU)': (r) => {
    assert.ok(r.starved <= r.cases / 10, `${r.starved} of ${r.cases} cases ran while this process stalled`);
  },
  'no worker dies': (r) => {
    assert.deepEqual(r.deaths, [], 'the master logged worker deaths');
    assert.ok(r.workersAlive, `the workers ${r.workerPids.join(', ')} all answered at the end`);
  },
  'every half-closed connection is answered or closed in time': (r, o) => {
    assert.equal(r.hangs.length, 0, `hangs: ${describeCases(r.protocol, o, r.hangs)}`);
  },
  'a stalled connection is dropped within socket-timeout': (r, o) => {
    assert.equal(r.stalls.length, 0, `stalls not dropped: ${describeCases(r.protocol, o, r.stalls)}`);
  },
  'every interleaved control request is answered correctly': (r) => {
    assert.ok(r.control.sent > 0, 'control requests were sent');
    assert.deepEqual(r.control.failures.slice(0, 5), []);
    assert.equal(r.control.ok + r.control.starved, r.control.sent);
  },
  'a whole valid request is answered (any chunk split or slow write)': (r, o) => {
    assert.equal(r.unanswered.length, 0, `unanswered: ${describeCases(r.protocol, o, r.unanswered)}`);
  },
  'pipelined copies of a valid request get at least the first answered': (r, o) => {
    const list = r.pipelinedUnanswered;
    assert.equal(list.length, 0, `unanswered: ${describeCases(r.protocol, o, list)}`);
  },
  'a valid request followed by junk is answered': (r, o) => {
    assert.equal(r.junkUnanswered.length, 0, `unanswered: ${describeCases(r.protocol, o, r.junkUnanswered)}`);
  },
  'no connection gets more app calls than its bytes justify': (r, o) => {
    assert.equal(r.overCalls.length, 0, `over-called: ${describeCases(r.protocol, o, r.overCalls)}`);
  },
  'the app is called no more often than the cases justify': (r) => {
    assert.ok(
      r.appCalls <= r.allowedCalls,
      `${r.appCalls} app calls, the bytes sent justify ${r.allowedCalls}`,
    );
  },
  'log volume is bounded': (r) => {
    // one request line per justified app call, one error line per connection, one per control
    assert.ok(
      r.logLines <= r.logLinesJustified,
      `${r.logLines} log lines, at most ${r.logLinesJustified} justified`,
    );
    assert.ok(r.logBytes / r.cases <= 1024, `${(r.logBytes / r.cases).toFixed(0)} log bytes per case`);
  },
  'worker heap after a full collection is back near its start (no leak in JS)': (r) => {
    for (const [i, pid] of r.workerPids.entries()) {
      const heap = [r.heapStartKb[i] ?? 0, r.heapEndKb[i] ?? 0] as const;
      const external = [r.externalStartKb[i] ?? 0, r.externalEndKb[i] ?? 0] as const;
      assert.ok(heap[0] > 0, `worker ${pid} reported its heap`);
      assert.ok(
        heap[1] <= heap[0] * 1.2 + 4096,
        `worker ${pid}: heap after gc ${heap[0]} kB -> ${heap[1]} kB`,
      );
      assert.ok(
        external[1] <= external[0] * 1.2 + 4096,
        `worker ${pid}: external memory after gc ${external[0]} kB -> ${external[1]} kB`,
      );
    }
  },
  // V8 and malloc keep freed pages: RSS climbs to a plateau under load and stays there (measured:
  // about +40 MB on Node 20 and +145 MB on Node 24 for valid uwsgi requests), so the check is that
  // it levels off within the run and stays within 3x its start, not that it comes back
  'worker RSS levels off (no growth over the second half, at most 3x its start)': (r) => {
    for (const [i, start] of r.rssStartKb.entries()) {
      const end = r.rssEndKb[i] ?? 0;
      const mid = r.rssSamplesKb[Math.floor(r.rssSamplesKb.length / 2)]?.[i] ?? start;
      assert.ok(end <= 3 * start, `worker ${r.workerPids[i]}: RSS ${start} kB -> ${end} kB (more than 3x)`);
      assert.ok(
        end <= mid * 1.2 + 8192,
        `worker ${r.workerPids[i]}: RSS still growing over the second half: ${mid} kB -> ${end} kB`,
      );
    }
  },
} as const satisfies Record<string, (r: FuzzReport, o: ReturnType<typeof optionsFromEnv>) => void>;

export type CheckName = keyof typeof CHECKS;

/** Checks today's server fails because of the known request-path bugs (issue 12 point 3). */

export interface FuzzSuiteOptions {
  /** Cases per run (FUZZ_CASES overrides). */
  readonly cases: number;
  readonly concurrency: number;
  /** Checks expected to fail until the named work lands: run and reported, not gating. */
  readonly todo: Partial<Record<CheckName, string>>;
}

export function fuzzSuite(protocol: Protocol, suite: FuzzSuiteOptions): void {
  const options = { ...optionsFromEnv(suite), rssSamples: 10 };
  describe(`fuzz ${protocol}: ${options.cases} mutated requests, 2 workers`, { timeout: 150_000 }, () => {
    let fs: FuzzServer | undefined;
    let report: FuzzReport | undefined;

    before(async () => {
      process.stderr.write(`fuzz ${protocol}: replay with ${replayLine(protocol, options)}\n`);
      fs = await startFuzzServer(protocol, options.socketTimeout);
      report = await runFuzz(protocol, fs, options);
      process.stderr.write(`${summary(report)}\n`);
    });
    after(() => fs?.server.close());

    for (const [name, check] of Object.entries(CHECKS) as [CheckName, (typeof CHECKS)[CheckName]][]) {
      const todo = suite.todo[name];
      it(name, todo === undefined ? {} : { todo }, () => {
        assert.ok(report, 'the fuzz run finished');
        try {
          check(report, options);
        } catch (err) {
          if (err instanceof Error)
            err.message += `\n(seed ${options.seed}: ${replayLine(protocol, options)})`;
          throw err;
        }
      });
    }
  });
}
