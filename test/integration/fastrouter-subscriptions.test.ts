// Issue 15 point 4: `fastrouter-subscription-server`. Our fastrouter routes uwsgi requests by
// UWSGI_FASTROUTER_KEY (else HTTP_HOST) to the nodes subscribed under that key, with
// subscription-algo; our instances subscribe to uWSGI 2.0.21's fastrouter and uWSGI's to ours
// (skipped without uWSGI).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../src/protocol/uwsgi.js';
import { REPO } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { noUwsgiPython, spawnUwsgi } from '../helpers/uwsgi.js';

const skip = noUwsgiPython;
const HELLO_PY = join(REPO, 'bench', 'apps', 'hello.py');
const NODE_APP = join(REPO, 'test', 'fixtures', 'apps', 'sub-node.mjs');

/** One uwsgi request; the raw answer until the router closes. */
function uwsgiRequest(port: number, vars: Record<string, string>): Promise<string> {
  const all = {
    REQUEST_METHOD: 'GET',
    REQUEST_URI: '/',
    PATH_INFO: '/',
    QUERY_STRING: '',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_NAME: 'test',
    SERVER_PORT: '80',
    REMOTE_ADDR: '127.0.0.1',
    ...vars,
  };
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () =>
      s.write(encodeUwsgiPacket(0, 0, encodeUwsgiVars(Object.entries(all)))),
    );
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.setTimeout(15_000, () => s.destroy(new Error('timed out')));
  });
}
const bodyOf = (answer: string) => answer.slice(answer.indexOf('\r\n\r\n') + 4);

async function untilServed(port: number, vars: Record<string, string>, body: string): Promise<string> {
  let answer = '';
  for (let i = 0; i < 100; i++) {
    answer = await uwsgiRequest(port, vars).catch(() => '');
    if (bodyOf(answer) === body) return answer;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return answer;
}

describe('fastrouter-subscription-server', { timeout: 120_000 }, () => {
  let router: RunningServer;
  let port: number;
  let subPort: number;
  const nodes: RunningServer[] = [];
  before(async () => {
    router = await startServer([
      '--fastrouter',
      '127.0.0.1:0',
      '--fastrouter-subscription-server',
      '127.0.0.1:0',
      '--master',
    ]);
    port = Number(router.log().match(/uWSGI fastrouter bound on \S*:(\d+) fd/)?.[1]);
    subPort = Number((await router.waitFor(/uWSGI fastrouter subscription server bound on \S*:(\d+) fd/))[1]);
    for (const [name, key, weight] of [
      ['a', 'fr.example', 1],
      ['b', 'fr.example', 3],
      ['c', 'other.example', 1],
    ] as const) {
      nodes.push(
        await startServer(
          [
            '--socket',
            '127.0.0.1:0',
            '--app',
            NODE_APP,
            '--master',
            '--processes',
            '1',
            '--subscribe2',
            `server=127.0.0.1:${subPort},key=${key},weight=${weight}`,
            '--subscribe-freq',
            '1',
          ],
          { env: { SUB_NODE: name } },
        ),
      );
    }
    for (const n of nodes)
      await router.waitFor(new RegExp(`\\.example => new node: 127\\.0\\.0\\.1:${n.port}`), 15_000);
  });
  after(async () => {
    await Promise.all([router, ...nodes].map((s) => s.close()));
  });

  it('HTTP_HOST picks the key; weights 1 and 3 share it 1:3 (wrr)', async () => {
    const served: string[] = [];
    for (let i = 0; i < 8; i++) served.push(bodyOf(await uwsgiRequest(port, { HTTP_HOST: 'fr.example' })));
    assert.equal(served.filter((s) => s === 'a').length, 2, served.join(''));
    assert.equal(served.filter((s) => s === 'b').length, 6, served.join(''));
  });

  it('UWSGI_FASTROUTER_KEY wins over HTTP_HOST', async () => {
    const answer = await uwsgiRequest(port, {
      HTTP_HOST: 'fr.example',
      UWSGI_FASTROUTER_KEY: 'other.example',
    });
    assert.equal(bodyOf(answer), 'c');
  });

  it('a key nobody announced: the connection is closed, logged', async () => {
    assert.equal(await uwsgiRequest(port, { HTTP_HOST: 'nobody.example' }), '');
    await router.waitFor(/unable to find a backend for key "nobody\.example"/);
  });

  it('uWSGI 2.0.21 subscribes to our fastrouter and is routed to', { skip }, async () => {
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
        `127.0.0.1:${subPort}:u.example`,
        '--subscribe-freq',
        '1',
      ],
      { stdio: 'ignore', detached: true },
    );
    try {
      await router.waitFor(new RegExp(`u\\.example => new node: 127\\.0\\.0\\.1:${nodePort}`), 20_000);
      const answer = await untilServed(port, { HTTP_HOST: 'u.example' }, 'Hello World');
      assert.equal(bodyOf(answer), 'Hello World');
    } finally {
      try {
        process.kill(-(uwsgi.pid ?? 0), 'SIGINT');
      } catch {
        // gone
      }
    }
  });
});

describe("our instance behind uWSGI 2.0.21's fastrouter-subscription-server", {
  timeout: 120_000,
  skip,
}, () => {
  it('subscribes with subscribe2 and serves', async () => {
    const [frPort, uSubPort] = [await freePort(), await freePort()];
    const front = spawnUwsgi([
      '--plugin',
      'fastrouter',
      '--fastrouter',
      `127.0.0.1:${frPort}`,
      '--fastrouter-subscription-server',
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
        '--subscribe2',
        `server=127.0.0.1:${uSubPort},key=ts.example`,
        '--subscribe-freq',
        '1',
      ],
      { env: { SUB_NODE: 'ours' } },
    );
    try {
      const answer = await untilServed(frPort, { HTTP_HOST: 'ts.example' }, 'ours');
      assert.equal(bodyOf(answer), 'ours', front.log());
      assert.match(front.log(), new RegExp(`ts\\.example => new node: 127\\.0\\.0\\.1:${node.port}`));
    } finally {
      await node.close();
      front.kill();
    }
  });
});
