// `cores` in the stats document with `threads` (issue 13.4): uWSGI 2.0.21 lists threads x async
// core objects per worker, each with its own request count and in_request
// (test/fixtures/stats-uwsgi-2.0.21-threads.json, recorded by scripts/record-uwsgi-stats-threads.mjs).
// A request takes the lowest free core while it runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const recorded = JSON.parse(
  readFileSync(new URL('../fixtures/stats-uwsgi-2.0.21-threads.json', import.meta.url), 'utf8'),
) as { workers: Array<{ requests: number; cores: Array<{ id: number; requests: number }> }> };

interface Core {
  id: number;
  requests: number;
  in_request: number;
  vars: string[];
}
interface Doc {
  workers: Array<{ requests: number; cores: Core[] }>;
}

function stats(port: number): Promise<Doc> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
    });
    socket.on('end', () => resolve(JSON.parse(text) as Doc));
    socket.on('error', reject);
  });
}

test('threads = 2: two cores per worker, as uWSGI lists them, each counting its requests', {
  timeout: 60_000,
}, async (t) => {
  // what uWSGI showed: every worker has `threads` cores, and the cores' counts add up
  for (const w of recorded.workers) {
    assert.equal(w.cores.length, 2);
    assert.deepEqual(
      w.cores.map((c) => c.id),
      [0, 1],
    );
  }
  const server = await startServer([
    '--master',
    '--processes',
    '1',
    '--threads',
    '2',
    '--http-socket',
    '127.0.0.1:0',
    '--stats',
    '127.0.0.1:0',
    '--app',
    'test/fixtures/apps/probe.mjs',
  ]);
  t.after(() => server.close());
  const statsPort = Number(/Stats server enabled on [^:]*:(\d+) fd/.exec(server.log())?.[1]);
  for (let i = 0; i < 5; i++) await httpGet(server.port, '/');
  let doc = await stats(statsPort);
  const [worker] = doc.workers;
  assert.ok(worker);
  assert.equal(worker.cores.length, 2, JSON.stringify(worker.cores));
  assert.deepEqual(
    worker.cores.map((c) => c.id),
    [0, 1],
  );
  assert.equal(
    worker.cores.reduce((n, c) => n + c.requests, 0),
    worker.requests,
  );

  // two slow requests at once: each holds a core
  const slow = [httpGet(server.port, '/slow?ms=2000'), httpGet(server.port, '/slow?ms=2000')];
  const deadline = Date.now() + 10_000;
  let busy = 0;
  while (Date.now() < deadline) {
    doc = await stats(statsPort);
    busy = doc.workers[0]?.cores.filter((c) => c.in_request === 1).length ?? 0;
    if (busy === 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(busy, 2, JSON.stringify(doc.workers[0]?.cores));
  for (const core of doc.workers[0]?.cores ?? []) {
    assert.ok(core.vars.includes('REQUEST_URI=/slow?ms=2000'), JSON.stringify(core.vars));
  }
  await Promise.all(slow);
  doc = await stats(statsPort);
  const after = doc.workers[0];
  assert.ok(after);
  assert.deepEqual(
    after.cores.map((c) => c.in_request),
    [0, 0],
  );
  assert.equal(
    after.cores.reduce((n, c) => n + c.requests, 0),
    after.requests,
  );
  assert.ok((after.cores[1]?.requests ?? 0) >= 1, 'the second core served a request');
});
