// The long fuzz run (`npm run fuzz`): 100,000 cases per protocol by default against a fresh server
// each, printing the figures that go into bench/RESULTS.md. Not a test file: it exits non-zero when
// a check fails but asserts nothing through node:test. FUZZ_PROTOCOLS=uwsgi,scgi picks protocols;
// FUZZ_SEED, FUZZ_CASES, FUZZ_CASE and FUZZ_CONCURRENCY work as in the test files.
import {
  describeCases,
  type FuzzReport,
  optionsFromEnv,
  runFuzz,
  startFuzzServer,
  summary,
} from './harness.js';
import { PROTOCOLS, type Protocol } from './requests.js';

const base = optionsFromEnv({ cases: 100_000, concurrency: 64 });
// the long run also sends 64 KB runs of zero bytes (the bounded run stops at 4 KB)
const options = { ...base, caseOptions: { ...base.caseOptions, maxZeros: 65_536 }, rssSamples: 10 };
const chosen = (process.env['FUZZ_PROTOCOLS'] ?? PROTOCOLS.join(','))
  .split(',')
  .filter((p): p is Protocol => (PROTOCOLS as readonly string[]).includes(p));

const reports: FuzzReport[] = [];
for (const protocol of chosen) {
  const fs = await startFuzzServer(protocol, options.socketTimeout);
  try {
    process.stderr.write(`fuzz ${protocol}: seed ${options.seed}, ${options.cases} cases\n`);
    const report = await runFuzz(protocol, fs, {
      ...options,
      onProgress: (done, total) => {
        if (done % 10_000 === 0) process.stderr.write(`  ${protocol}: ${done}/${total}\n`);
      },
    });
    reports.push(report);
    process.stdout.write(`${summary(report)}\n`);
    const rss = report.rssSamplesKb.map((s) => s.map((k) => Math.round(k / 1024)).join('+')).join(' ');
    process.stdout.write(`  RSS MB samples: ${rss}\n`);
    for (const [name, list] of [
      ['hangs', report.hangs],
      ['undropped stalls', report.stalls],
      ['over-called', report.overCalls],
      ['unanswered', report.unanswered],
      ['pipelined unanswered', report.pipelinedUnanswered],
      ['unanswered after junk', report.junkUnanswered],
    ] as const) {
      if (list.length > 0) process.stdout.write(`  ${name}: ${describeCases(protocol, options, list, 3)}\n`);
    }
    for (const line of report.deaths.slice(0, 5)) process.stdout.write(`  death: ${line}\n`);
    for (const line of report.control.failures.slice(0, 5)) process.stdout.write(`  ${line}\n`);
  } finally {
    await fs.server.close();
  }
}

process.stdout.write(
  '\n| protocol | cases | cases/s | worker deaths | hangs | undropped stalls | over-called conns | unanswered (whole / pipelined / after junk) | app calls / justified | control ok | RSS start -> end MB | heap after gc MB | log B/case |\n',
);
process.stdout.write('|---|---|---|---|---|---|---|---|---|---|---|---|---|\n');
for (const r of reports) {
  const mb = (kb: readonly number[]) => kb.map((k) => (k / 1024).toFixed(0)).join(' / ');
  process.stdout.write(
    `| ${r.protocol} | ${r.cases} | ${r.casesPerSecond.toFixed(0)} | ${r.deaths.length} | ${r.hangs.length} | ` +
      `${r.stalls.length} | ${r.overCalls.length} | ${r.unanswered.length} / ${r.pipelinedUnanswered.length} / ` +
      `${r.junkUnanswered.length} | ${r.appCalls} / ${r.allowedCalls} | ${r.control.ok}/${r.control.sent} | ` +
      `${mb(r.rssStartKb)} -> ${mb(r.rssEndKb)} | ${mb(r.heapStartKb)} -> ${mb(r.heapEndKb)} | ` +
      `${(r.logBytes / r.cases).toFixed(0)} |\n`,
  );
}
const bad = reports.some(
  (r) => r.deaths.length > 0 || r.hangs.length > 0 || r.control.failures.length > 0 || !r.workersAlive,
);
process.exit(bad ? 1 : 0);
