// Recycling (issue "Operations" point 3): max-requests, max-worker-lifetime, reload-on-exception,
// reload-on-rss, evil-reload-on-rss and the min-worker-lifetime gate. A recycled worker is
// replaced gracefully: its replacement is ready before it drains, and no request fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpGet as get } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/apps/probe.mjs';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Requests /pid until a pid other than `first` answers; every answer must be a 200. */
async function untilReplaced(port: number, first: number, timeoutMs = 10_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const reply = await get(port, '/pid');
    assert.equal(reply.status, 200, reply.body);
    if (Number(reply.body) !== first) return Number(reply.body);
  }
  throw new Error(`worker ${first} was never replaced`);
}

const cases = [
  {
    name: 'max-requests 3',
    args: ['--max-requests', '3', '--min-worker-lifetime', '0'],
    line: /\.\.\.The work of process 1 is done \(max-requests 3\)\. Seeya!/,
    trigger: async (_port: number) => {},
  },
  {
    name: 'max-worker-lifetime 1',
    args: ['--max-worker-lifetime', '1'],
    line: /worker 1 lifetime reached, it was running for 1 second\(s\)/,
    trigger: async (_port: number) => {},
  },
  {
    name: 'reload-on-exception',
    args: ['--reload-on-exception', '--min-worker-lifetime', '0'],
    line: /worker 1 got an exception in its app: reload-on-exception/,
    trigger: async (port: number) => {
      assert.equal((await get(port, '/throw')).status, 500);
    },
  },
  {
    name: 'reload-on-rss 1 (MB)',
    args: ['--reload-on-rss', '1', '--min-worker-lifetime', '0'],
    line: /worker 1 reached its max rss \(\d+ MB > 1 MB\): recycling/,
    trigger: async (_port: number) => {},
  },
] as const;

describe('a recycled worker is replaced with no failed request', () => {
  for (const c of cases) {
    it(c.name, { timeout: 30_000 }, async (t) => {
      const server = await startServer([
        '--master',
        '--processes',
        '1',
        '--http-socket',
        '127.0.0.1:0',
        '--app',
        APP,
        ...c.args,
      ]);
      t.after(() => server.close());
      const first = Number((await get(server.port, '/pid')).body);
      await c.trigger(server.port);
      const next = await untilReplaced(server.port, first);
      assert.notEqual(next, first);
      assert.match(server.log(), c.line);
      assert.match(server.log(), new RegExp(`Respawned uWSGI worker 1 \\(new pid: ${next}\\)`));
      await server.waitFor(/worker 1 buried after \d+ seconds/);
      assert.equal(alive(first), false, 'the old worker is gone');
      assert.doesNotMatch(server.log(), /DAMN/, 'a recycle is not a death');
    });
  }
});

it('evil-reload-on-rss: the master kills a worker above the limit and it is respawned', {
  timeout: 30_000,
}, async (t) => {
  const server = await startServer([
    '--master',
    '--processes',
    '1',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--evil-reload-on-rss',
    '1',
    '--mem-collector-freq',
    '1',
  ]);
  t.after(() => server.close());
  await server.waitFor(/has \d+ MB of RSS, above evil-reload-on-rss 1 MB: killing it/, 5000);
  await server.waitFor(
    /DAMN ! worker 1 \(pid: \d+\) died, killed by signal 9 :\( trying respawn \.\.\./,
    5000,
  );
});

it('min-worker-lifetime (default 10 s) keeps a young worker from recycling', {
  timeout: 20_000,
}, async (t) => {
  const server = await startServer([
    '--master',
    '--processes',
    '1',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--max-requests',
    '1',
  ]);
  t.after(() => server.close());
  const pids = new Set<string>();
  for (let i = 0; i < 5; i++) pids.add((await get(server.port, '/pid')).body);
  assert.equal(pids.size, 1);
  assert.doesNotMatch(server.log(), /Seeya/);
});
