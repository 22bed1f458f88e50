// Issue 15 point 4: `subscribe2` and `subscription-algo` through the real router. Two of our
// instances announce with subscribe2 weights 1 and 3 to four routers (wrr, lrc, wlrc, iphash);
// each router's share of traffic follows its algorithm. Then subscribe2 across uWSGI 2.0.21 both
// ways (skipped without uWSGI), and a bad subscribe2 line stopping the start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { request, routerPort, subscriptionPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { noUwsgiPython, spawnUwsgi } from '../helpers/uwsgi.js';

const skip = noUwsgiPython;
const HELLO_PY = join(REPO, 'bench', 'apps', 'hello.py');
const NODE_APP = join(REPO, 'test', 'fixtures', 'apps', 'sub-node.mjs');
const ALGOS = ['wrr', 'lrc', 'wlrc', 'iphash'] as const;
type Algo = (typeof ALGOS)[number];

interface Router {
  server: RunningServer;
  port: number;
  subPort: number;
}

async function startRouter(algo: Algo): Promise<Router> {
  const server = await startServer([
    '--http',
    '127.0.0.1:0',
    '--http-subscription-server',
    '127.0.0.1:0',
    '--subscription-algo',
    algo,
    '--master',
    '--processes',
    '1',
  ]);
  const subPort = subscriptionPort(server);
  return { server, port: routerPort(server), subPort };
}

const names = async (replies: Promise<{ status: number; body: Buffer }>[]) =>
  (await Promise.all(replies)).map((r) => {
    assert.equal(r.status, 200);
    return r.body.toString();
  });
const count = (list: string[], name: string) => list.filter((n) => n === name).length;

describe('subscribe2 and subscription-algo through our router', { timeout: 180_000 }, () => {
  const routers = new Map<Algo, Router>();
  const nodes: RunningServer[] = [];
  before(async () => {
    for (const algo of ALGOS) routers.set(algo, await startRouter(algo));
    // node a weight 1, node b weight 3, both announced to every router under one key
    for (const [name, weight] of [
      ['a', 1],
      ['b', 3],
    ] as const) {
      const subscribe = ALGOS.flatMap((algo) => [
        '--subscribe2',
        `server=127.0.0.1:${routers.get(algo)?.subPort},key=algo.example,weight=${weight}`,
      ]);
      nodes.push(
        await startServer(
          [
            '--socket',
            '127.0.0.1:0',
            '--app',
            NODE_APP,
            '--master',
            '--processes',
            '3',
            ...subscribe,
            '--subscribe-freq',
            '1',
          ],
          { env: { SUB_NODE: name } },
        ),
      );
    }
    for (const r of routers.values())
      for (const n of nodes)
        await r.server.waitFor(new RegExp(`algo\\.example => new node: 127\\.0\\.0\\.1:${n.port}`), 15_000);
  });
  after(async () => {
    await Promise.all([...nodes, ...[...routers.values()].map((r) => r.server)].map((s) => s.close()));
  });
  const get = (algo: Algo, path: string, localAddress?: string) =>
    request(routers.get(algo)?.port ?? 0, {
      path,
      headers: { Host: 'algo.example' },
      ...(localAddress ? { localAddress } : {}),
    });

  it('wrr: weights 1 and 3 share the traffic 1:3', async () => {
    const served: string[] = [];
    for (let i = 0; i < 16; i++) served.push(...(await names([get('wrr', `/w${i}`)])));
    assert.equal(count(served, 'a'), 4, served.join(''));
    assert.equal(count(served, 'b'), 12, served.join(''));
  });

  it('lrc: requests in flight, not weights, decide (4 held requests: 2 and 2)', async () => {
    const held = await names(Array.from({ length: 4 }, (_, i) => get('lrc', `/slow${i}`)));
    assert.equal(count(held, 'a'), 2, held.join(''));
    assert.equal(count(held, 'b'), 2, held.join(''));
    // nothing in flight any more: a quick request after a held one on `a` goes to `b`
    const slow = get('lrc', '/slow-again');
    await new Promise((ok) => setTimeout(ok, 200));
    const [quick] = await names([get('lrc', '/quick')]);
    const [slowName] = await names([slow]);
    assert.notEqual(quick, slowName);
  });

  it('wlrc: in flight divided by weight (4 held requests: 1 on weight 1, 3 on weight 3)', async () => {
    const held = await names(Array.from({ length: 4 }, (_, i) => get('wlrc', `/slow${i}`)));
    assert.equal(count(held, 'a'), 1, held.join(''));
    assert.equal(count(held, 'b'), 3, held.join(''));
  });

  it('iphash: one client keeps its node; other clients reach the other node', async () => {
    const clients = Array.from({ length: 12 }, (_, i) => `127.0.0.${i + 1}`);
    const picked = new Set<string>();
    for (const client of clients) {
      const served: string[] = [];
      for (let i = 0; i < 4; i++) served.push(...(await names([get('iphash', `/ip${i}`, client)])));
      assert.equal(new Set(served).size, 1, `${client}: ${served.join('')}`);
      picked.add(served[0] as string);
    }
    assert.deepEqual([...picked].sort(), ['a', 'b']);
  });
});

describe('subscribe2 across uWSGI 2.0.21', { timeout: 120_000, skip }, () => {
  it('uWSGI --subscribe2 to our router: the node is routed to with its weight', async () => {
    const router = await startRouter('wrr');
    const nodePort = await freePort();
    const uwsgi = spawn(
      'uwsgi',
      [
        '--plugin',
        'python3',
        '--socket',
        `127.0.0.1:${nodePort}`,
        '--wsgi-file',
        HELLO_PY,
        '--master',
        '--subscribe2',
        `server=127.0.0.1:${router.subPort},key=u2.example,weight=3`,
        '--subscribe-freq',
        '1',
      ],
      { stdio: 'ignore', detached: true },
    );
    try {
      await router.server.waitFor(
        new RegExp(`u2\\.example => new node: 127\\.0\\.0\\.1:${nodePort}`),
        20_000,
      );
      let r = await request(router.port, { headers: { Host: 'u2.example' } });
      for (let i = 0; i < 50 && r.status !== 200; i++) {
        await new Promise((ok) => setTimeout(ok, 100));
        r = await request(router.port, { headers: { Host: 'u2.example' } });
      }
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'Hello World');
    } finally {
      try {
        process.kill(-(uwsgi.pid ?? 0), 'SIGINT');
      } catch {
        // gone
      }
      await router.server.close();
    }
  });

  it("our --subscribe2 to uWSGI's http-subscription-server: served through uWSGI's router", async () => {
    const [httpPort, uSubPort] = [await freePort(), await freePort()];
    const front = spawnUwsgi([
      '--plugin',
      'http',
      '--http',
      `127.0.0.1:${httpPort}`,
      '--http-subscription-server',
      `127.0.0.1:${uSubPort}`,
      '--master',
    ]);
    const node = await startServer(
      [
        '--socket',
        '127.0.0.1:0',
        '--app',
        NODE_APP,
        '--master',
        '--processes',
        '1',
        '--subscribe2',
        `server=127.0.0.1:${uSubPort},key=ts2.example,weight=2`,
        '--subscribe-freq',
        '1',
      ],
      { env: { SUB_NODE: 'ours' } },
    );
    try {
      let reply: { status: number; body: Buffer } = { status: 0, body: Buffer.alloc(0) };
      for (let i = 0; i < 100 && reply.status !== 200; i++) {
        reply = await request(httpPort, { headers: { Host: 'ts2.example' }, timeoutMs: 3000 }).catch(
          () => reply,
        );
        if (reply.status !== 200) await new Promise((ok) => setTimeout(ok, 200));
      }
      assert.equal(reply.status, 200, front.log());
      assert.equal(reply.body.toString(), 'ours');
      assert.match(front.log(), new RegExp(`ts2\\.example => new node: 127\\.0\\.0\\.1:${node.port}`));
      await node.waitFor(/subscribing to server=127\.0\.0\.1:\d+,key=ts2\.example,weight=2/);
    } finally {
      await node.close();
      front.kill();
    }
  });
});

describe('a bad subscribe2 line', () => {
  it('stops the start, naming the option, the line and where it was given', async () => {
    const r = await runCli([
      '--socket',
      '127.0.0.1:0',
      '--subscribe2',
      'server=127.0.0.1:1,key=x,weight=heavy',
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /invalid value for option "subscribe2": "server=127\.0\.0\.1:1,key=x,weight=heavy": weight=heavy is not a number \(command line --subscribe2\)/,
    );
  });
  it('a subscription-algo uWSGI does not have stops the start too', async () => {
    const r = await runCli(['--socket', '127.0.0.1:0', '--subscription-algo', 'random']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"subscription-algo": "random" is not one of wrr, lrc, wlrc, iphash/);
  });
});
