// Issue 15 point 4: FIFO `S` (block / re-enable the announces), `start-unsubscribed` and
// `unsubscribe-on-graceful-reload`, checked on the packets a UDP socket catches, against what
// uWSGI 2.0.21 did (test/fixtures/gateway/subscriptions-fifo-uwsgi-2.0.21.json).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, tempFiles } from '../helpers/cli.js';
import { request, routerPort, subscriptionPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const NODE_APP = join(REPO, 'test', 'fixtures', 'apps', 'sub-node.mjs');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** A subscription server that only records: modifier2 of each packet (0 announce, 1 unsubscribe). */
class Catcher {
  readonly socket = dgram.createSocket('udp4');
  readonly packets: Array<{ at: number; unsubscribe: boolean }> = [];
  port = 0;
  async open(): Promise<void> {
    await new Promise<void>((ok) => this.socket.bind(0, '127.0.0.1', () => ok()));
    this.port = this.socket.address().port;
    this.socket.on('message', (m) => this.packets.push({ at: Date.now(), unsubscribe: m[3] === 1 }));
  }
  since(t: number) {
    return this.packets.filter((p) => p.at >= t);
  }
  async waitFor(what: (p: { at: number; unsubscribe: boolean }) => boolean, ms = 10_000): Promise<number> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const p = this.packets.find(what);
      if (p) return p.at;
      await sleep(50);
    }
    throw new Error('no such packet');
  }
}

describe('subscriptions and the master: FIFO S, start-unsubscribed, graceful reloads', {
  timeout: 120_000,
}, () => {
  let tmp: { dir: string; cleanup: () => void };
  before(() => {
    tmp = tempFiles({});
  });
  after(() => tmp.cleanup());

  async function node(catcher: Catcher, fifo: string, extra: string[] = []): Promise<RunningServer> {
    return startServer([
      '--socket',
      '127.0.0.1:0',
      '--app',
      NODE_APP,
      '--master',
      '--processes',
      '1',
      '--master-fifo',
      fifo,
      '--subscribe-to',
      `127.0.0.1:${catcher.port}:x.example`,
      '--subscribe-freq',
      '1',
      ...extra,
    ]);
  }

  it('S blocks the announces and S again re-enables them; a plain reload does not unsubscribe', async () => {
    const catcher = new Catcher();
    await catcher.open();
    const fifo = join(tmp.dir, 'fifo-s');
    const server = await node(catcher, fifo);
    try {
      await catcher.waitFor(() => true);
      writeFileSync(fifo, 'S');
      await server.waitFor(/ - subscriptions blocked/);
      const blockedAt = Date.now();
      await sleep(2500);
      assert.deepEqual(catcher.since(blockedAt + 100), [], 'no packet while blocked');
      writeFileSync(fifo, 'S');
      await server.waitFor(/ - subscriptions re-enabled/);
      const enabledAt = Date.now();
      await catcher.waitFor((p) => p.at >= enabledAt && !p.unsubscribe, 5000);
      // without unsubscribe-on-graceful-reload a reload keeps the subscription (uWSGI's default)
      const reloadAt = Date.now();
      writeFileSync(fifo, 'r');
      await server.waitFor(/reload done, new workers serving/, 20_000);
      await sleep(300);
      assert.equal(catcher.since(reloadAt).filter((p) => p.unsubscribe).length, 0);
    } finally {
      await server.close();
      catcher.socket.close();
    }
  });

  it('start-unsubscribed: nothing is sent until S', async () => {
    const catcher = new Catcher();
    await catcher.open();
    const fifo = join(tmp.dir, 'fifo-start');
    const server = await node(catcher, fifo, ['--start-unsubscribed']);
    try {
      await sleep(2500);
      assert.equal(catcher.packets.length, 0);
      assert.doesNotMatch(server.log(), /subscribing to/);
      writeFileSync(fifo, 'S');
      await server.waitFor(/ - subscriptions re-enabled/);
      await catcher.waitFor((p) => !p.unsubscribe, 5000);
    } finally {
      await server.close();
      catcher.socket.close();
    }
  });

  it('unsubscribe-on-graceful-reload: an unsubscribe at the reload, announces again once the new workers serve', async () => {
    const catcher = new Catcher();
    await catcher.open();
    const fifo = join(tmp.dir, 'fifo-reload');
    const server = await node(catcher, fifo, ['--unsubscribe-on-graceful-reload']);
    try {
      await catcher.waitFor(() => true);
      const reloadAt = Date.now();
      writeFileSync(fifo, 'r');
      const unsubscribedAt = await catcher.waitFor((p) => p.at >= reloadAt && p.unsubscribe);
      await server.waitFor(/reload done, new workers serving/, 20_000);
      const back = await catcher.waitFor((p) => p.at > unsubscribedAt && !p.unsubscribe, 5000);
      assert.ok(back >= unsubscribedAt);
      assert.match(
        server.log(),
        /unsubscribing from 127\.0\.0\.1:\d+:x\.example[\s\S]*subscribing to 127\.0\.0\.1:\d+:x\.example/,
      );
    } finally {
      await server.close();
      catcher.socket.close();
    }
  });

  it('through our router: the node leaves the key at the reload and comes back', async () => {
    const router = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-subscription-server',
      '127.0.0.1:0',
      '--master',
    ]);
    const subPort = subscriptionPort(router);
    const fifo = join(tmp.dir, 'fifo-router');
    const server = await startServer(
      [
        '--socket',
        '127.0.0.1:0',
        '--app',
        NODE_APP,
        '--master',
        '--master-fifo',
        fifo,
        '--subscribe-to',
        `127.0.0.1:${subPort}:r.example`,
        '--subscribe-freq',
        '1',
        '--unsubscribe-on-graceful-reload',
      ],
      { env: { SUB_NODE: 'n' } },
    );
    try {
      await router.waitFor(/r\.example => new node/, 15_000);
      assert.equal(
        (await request(routerPort(router), { headers: { Host: 'r.example' } })).body.toString(),
        'n',
      );
      writeFileSync(fifo, 'r');
      await router.waitFor(/r\.example => removing node/, 15_000);
      await server.waitFor(/reload done, new workers serving/, 20_000);
      await router.waitFor(/r\.example => new node[\s\S]*removing node[\s\S]*r\.example => new node/, 15_000);
      assert.equal(
        (await request(routerPort(router), { headers: { Host: 'r.example' } })).body.toString(),
        'n',
      );
    } finally {
      await Promise.all([server.close(), router.close()]);
    }
  });
});
