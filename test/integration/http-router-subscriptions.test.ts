// Issue 15 point 4 (the basics): our router's `http-subscription-server` accepts uWSGI 2.0.21's
// `subscribe-to` announces (modifier1 224 over UDP), routes by Host to the subscribed node, and
// drops a node that stops announcing after `subscription-tolerance`. Skipped without uWSGI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../src/protocol/uwsgi.js';
import { REPO } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { request, routerPort, subscriptionPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { noUwsgiPython, spawnUwsgi } from '../helpers/uwsgi.js';

const skip = noUwsgiPython;
const HELLO_PY = join(REPO, 'bench', 'apps', 'hello.py');
const ECHO = join(REPO, 'test', 'fixtures', 'apps', 'echo.mjs');

describe('subscriptions to our HTTP router', { timeout: 120_000 }, () => {
  let router: RunningServer;
  let port: number;
  let subPort: number;
  before(async () => {
    router = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-subscription-server',
      '127.0.0.1:0',
      '--subscription-tolerance',
      '3',
      '--master',
      '--processes',
      '1',
    ]);
    port = routerPort(router);
    subPort = subscriptionPort(router);
  });
  after(() => router.close());

  it('a key nobody announced: 502, logged', async () => {
    const r = await request(port, { headers: { Host: 'nobody.example' } });
    assert.equal(r.status, 502);
    await router.waitFor(/no node subscribed for key "nobody\.example"/);
  });

  it('our own packets: two nodes of one key share its traffic by weight (wrr)', async () => {
    const a = await startServer(['--socket', '127.0.0.1:0', '--app', ECHO, '--master', '--processes', '1']);
    const b = await startServer(['--socket', '127.0.0.1:0', '--app', ECHO, '--master', '--processes', '1']);
    const udp = dgram.createSocket('udp4');
    try {
      const announce = (address: string, weight: number) =>
        new Promise<void>((ok) =>
          udp.send(
            encodeUwsgiPacket(
              224,
              0,
              encodeUwsgiVars([
                ['key', 'w.example'],
                ['address', address],
                ['modifier1', '0'],
                ['modifier2', '0'],
                ['cores', '1'],
                ['load', '0'],
                ['weight', String(weight)],
              ]),
            ),
            subPort,
            '127.0.0.1',
            () => ok(),
          ),
        );
      await announce(`127.0.0.1:${a.port}`, 3);
      await announce(`127.0.0.1:${b.port}`, 1);
      await router.waitFor(new RegExp(`w\\.example => new node: 127\\.0\\.0\\.1:${b.port}`));
      for (let i = 0; i < 8; i++)
        assert.equal((await request(port, { path: `/w${i}`, headers: { Host: 'w.example' } })).status, 200);
      const served = (s: RunningServer) => (s.log().match(/GET \/w\d/g) ?? []).length;
      // the request log lines arrive through the masters' pipes: wait for all of them
      await a.waitFor(/(GET \/w\d[\s\S]*){6}/);
      await b.waitFor(/(GET \/w\d[\s\S]*){2}/);
      assert.equal(served(a), 6);
      assert.equal(served(b), 2);
    } finally {
      udp.close();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('our instance subscribes with subscribe-to and serves through our router', async () => {
    const node = await startServer([
      '--socket',
      '127.0.0.1:0',
      '--app',
      ECHO,
      '--master',
      '--processes',
      '1',
      '--subscribe-to',
      `127.0.0.1:${subPort}:js.example`,
      '--subscribe-freq',
      '1',
    ]);
    try {
      await node.waitFor(new RegExp(`subscribing to 127\\.0\\.0\\.1:${subPort}:js\\.example`));
      await router.waitFor(new RegExp(`js\\.example => new node: 127\\.0\\.0\\.1:${node.port}`), 15_000);
      const r = await request(port, { path: '/js', headers: { Host: 'js.example' } });
      assert.equal(r.status, 200);
      await node.waitFor(/GET \/js/);
    } finally {
      await node.close();
    }
    // the stop unsubscribed it
    await router.waitFor(/js\.example => removing node/, 10_000);
  });

  it("our instance subscribes to uWSGI 2.0.21's http-subscription-server and serves", { skip }, async () => {
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
    const node = await startServer([
      '--socket',
      '127.0.0.1:0',
      '--app',
      ECHO,
      '--master',
      '--processes',
      '1',
      '--subscribe-to',
      `127.0.0.1:${uSubPort}:ts.example`,
      '--subscribe-freq',
      '1',
    ]);
    try {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = await request(httpPort, {
          path: '/via-uwsgi',
          headers: { Host: 'ts.example' },
          timeoutMs: 3000,
        }).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await new Promise((ok) => setTimeout(ok, 200));
      }
      assert.equal(status, 200, front.log());
      await node.waitFor(/GET \/via-uwsgi/);
      assert.match(front.log(), new RegExp(`ts\\.example => new node: 127\\.0\\.0\\.1:${node.port}`));
    } finally {
      await node.close();
      front.kill();
    }
  });

  it('uWSGI 2.0.21 subscribes with subscribe-to and serves; silent, it is dropped after the tolerance', {
    skip,
  }, async () => {
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
        '--subscribe-to',
        `127.0.0.1:${subPort}:foo.example`,
        '--subscribe-freq',
        '1',
      ],
      { stdio: 'ignore', detached: true },
    );
    try {
      await router.waitFor(new RegExp(`foo\\.example => new node: 127\\.0\\.0\\.1:${nodePort}`), 20_000);
      let r = await request(port, { headers: { Host: 'foo.example' } });
      for (let i = 0; i < 50 && r.status !== 200; i++) {
        await new Promise((ok) => setTimeout(ok, 100));
        r = await request(port, { headers: { Host: 'foo.example' } });
      }
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'Hello World');
      // killed outright: no unsubscribe, the announces stop
      process.kill(-(uwsgi.pid ?? 0), 'SIGKILL');
      await router.waitFor(
        new RegExp(`foo\\.example => removing node 127\\.0\\.0\\.1:${nodePort} \\(no announce`),
        15_000,
      );
      assert.equal((await request(port, { headers: { Host: 'foo.example' } })).status, 502);
    } finally {
      try {
        process.kill(-(uwsgi.pid ?? 0), 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
});
