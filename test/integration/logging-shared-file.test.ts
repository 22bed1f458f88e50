// Workers write the request log to the logto file themselves (no master relay, as uWSGI's
// workers write the shared log fd), a batch of whole lines per write: two workers logging
// 10,000 requests at once leave 10,000 whole lines, none cut or interleaved, none lost.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readText, serveToFile } from '../helpers/logging.js';

const REQUESTS = 10_000;
/** Makes each line ~430 bytes: a batch of them is several KB per write. */
const PAD = 'p'.repeat(300);

/**
 * GETs `count` requests, `connections` at a time, each on a fresh connection: the kernel hands
 * every one to whichever worker accepts first, so both workers serve (kept-alive connections can
 * all land on one worker).
 */
async function load(port: number, count: number, connections: number): Promise<void> {
  let next = 0;
  const client = async () => {
    while (next < count) {
      const path = `/n/${next++}?${PAD}`;
      await new Promise<void>((resolve, reject) => {
        http
          .get(
            { host: '127.0.0.1', port, path, agent: false, signal: AbortSignal.timeout(10_000) },
            (res) => {
              res.resume();
              res.on('end', () =>
                res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`)),
              );
            },
          )
          .on('error', reject);
      });
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
}

// uWSGI's default line (reference §9), whole
const LINE = new RegExp(
  String.raw`^\[pid: (\d+)\|app: 0\|req: \d+/\d+\] 127\.0\.0\.1 \(\) \{\d+ vars in \d+ bytes\} ` +
    String.raw`\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] GET /n/(\d+)\?${PAD} => generated 12 bytes ` +
    String.raw`in \d+ msecs \(HTTP/1\.1 200\) \d+ headers in \d+ bytes \(1 switches on core 0\)$`,
);

test('2 workers log 10,000 requests to one file: 10,000 whole lines, each request once', {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-shared-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'app.log');
  const { port } = await serveToFile(t, file, [], 2);
  await load(port, REQUESTS, 16);
  // the last batch of each worker is written at the end of its event-loop turn: wait for it
  let requests: string[] = [];
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    requests = readText(file)
      .split('\n')
      .filter((l) => l.includes('GET /n/'));
    if (requests.length >= REQUESTS) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seen = new Set<string>();
  const pids = new Set<string>();
  for (const line of requests) {
    const m = LINE.exec(line);
    assert.ok(m, `a whole request line: ${JSON.stringify(line.slice(0, 200))}`);
    pids.add(m[1] ?? '');
    seen.add(m[2] ?? '');
  }
  assert.equal(requests.length, REQUESTS, 'one line per request');
  assert.equal(seen.size, REQUESTS, 'each request once');
  assert.equal(pids.size, 2, 'both workers wrote');
  // and nothing else was cut: every line of the file ends where a line ends
  assert.ok(readText(file).endsWith('\n'));
});
