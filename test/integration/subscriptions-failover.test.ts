// Issue 15's acceptance: two of our instances subscribed to our router for one host share its
// traffic; one killed outright (no unsubscribe), every request after that is served by the other:
// the router fails over to the next node at once and drops the silent one after
// `subscription-tolerance`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { request, routerPort, subscriptionPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const NODE_APP = join(REPO, 'test', 'fixtures', 'apps', 'sub-node.mjs');
const TOLERANCE_S = 3;

describe('a subscribed node killed: its traffic moves to the other', { timeout: 120_000 }, () => {
  let router: RunningServer;
  let port = 0;
  const nodes = new Map<string, RunningServer>();
  before(async () => {
    router = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-subscription-server',
      '127.0.0.1:0',
      '--subscription-tolerance',
      String(TOLERANCE_S),
      '--master',
      '--processes',
      '1',
    ]);
    port = routerPort(router);
    const subPort = subscriptionPort(router);
    for (const name of ['a', 'b']) {
      const node = await startServer(
        [
          '--socket',
          '127.0.0.1:0',
          '--app',
          NODE_APP,
          '--master',
          '--processes',
          '2',
          '--subscribe2',
          `server=127.0.0.1:${subPort},key=failover.example`,
          '--subscribe-freq',
          '1',
        ],
        { env: { SUB_NODE: name } },
      );
      nodes.set(name, node);
      await router.waitFor(
        new RegExp(`failover\\.example => new node: 127\\.0\\.0\\.1:${node.port}`),
        15_000,
      );
    }
  });
  after(async () => {
    await Promise.all([router, ...nodes.values()].map((s) => s?.close()));
  });

  const get = () => request(port, { path: '/', headers: { Host: 'failover.example' } });

  it('both nodes serve the host, then every request after the kill is served by the survivor', async () => {
    const before: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await get();
      assert.equal(r.status, 200);
      before.push(r.body.toString());
    }
    assert.ok(before.includes('a') && before.includes('b'), `both nodes served: ${before.join('')}`);

    const b = nodes.get('b') as RunningServer;
    process.kill(-b.pid, 'SIGKILL');
    const killedAt = Date.now();
    const after: Array<{ at: number; status: number; body: string }> = [];
    // through the tolerance and past it: a request every 50 ms
    while (Date.now() - killedAt < (TOLERANCE_S + 3) * 1000) {
      const r = await get().catch((err: Error) => ({ status: 0, body: Buffer.from(err.message) }));
      after.push({ at: Date.now() - killedAt, status: r.status, body: r.body.toString() });
      await new Promise((ok) => setTimeout(ok, 50));
    }
    const failed = after.filter((r) => r.status !== 200 || r.body !== 'a');
    assert.deepEqual(failed, [], `${failed.length} of ${after.length} requests not served by a`);
    // the silent node is dropped after the tolerance (the router's line names it)
    await router.waitFor(new RegExp(`failover\\.example => removing node 127\\.0\\.0\\.1:${b.port}`), 10_000);
    const r = await get();
    assert.equal(r.body.toString(), 'a');
  });
});
