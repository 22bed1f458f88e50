// Issue 15 point 3: the fastrouter, uwsgi in and uwsgi out, keyed by UWSGI_FASTROUTER_KEY or
// HTTP_HOST: fastrouter-to (round robin), fastrouter-use-pattern, fastrouter-use-base,
// fastrouter-fallback, fastrouter-stats in uWSGI's shape (static_nodes with hits).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../src/protocol/uwsgi.js';
import { REPO, tempFiles } from '../helpers/cli.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const ECHO = join(REPO, 'test', 'fixtures', 'apps', 'echo.mjs');
const RECORDED = JSON.parse(
  readFileSync(join(REPO, 'test', 'fixtures', 'gateway', 'http-router-uwsgi-2.0.21.json'), 'utf8'),
) as { fastrouter: { stats_json_with_fastrouter_to: Record<string, unknown> } };

/** One uwsgi request to `port`; the raw answer (HTTP status line, headers, body) until close. */
function uwsgiRequest(port: number, vars: Record<string, string>, body = Buffer.alloc(0)): Promise<string> {
  const all = {
    REQUEST_METHOD: body.length ? 'POST' : 'GET',
    REQUEST_URI: '/',
    PATH_INFO: '/',
    QUERY_STRING: '',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_NAME: 'test',
    SERVER_PORT: '80',
    REMOTE_ADDR: '127.0.0.1',
    CONTENT_LENGTH: String(body.length),
    ...vars,
  };
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(encodeUwsgiPacket(0, 0, encodeUwsgiVars(Object.entries(all))));
      s.write(body);
    });
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.setTimeout(15_000, () => s.destroy(new Error('timed out')));
  });
}

const envOf = (text: string) =>
  (JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { env: Record<string, string> }).env;

const routerPortOf = (s: RunningServer) =>
  Number(s.log().match(/uWSGI fastrouter bound on \S*:(\d+) fd/)?.[1]);

describe('the fastrouter', { timeout: 120_000 }, () => {
  let tmp: { dir: string; cleanup: () => void };
  const backends: RunningServer[] = [];
  before(async () => {
    tmp = tempFiles({});
    // three instances: on unix sockets named after their keys, and one fallback on TCP
    for (const name of ['a.example', 'b.example']) {
      backends.push(
        await startServer([
          '--socket',
          join(tmp.dir, `${name}.sock`),
          '--app',
          ECHO,
          '--master',
          '--processes',
          '1',
          '--http-var',
          'X=1',
          '--env',
          `WHO=${name}`,
        ]),
      );
    }
    backends.push(
      await startServer(['--socket', '127.0.0.1:0', '--app', ECHO, '--master', '--processes', '1']),
    );
  });
  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
    tmp.cleanup();
  });

  it('fastrouter-to: every key to the static nodes, round robin; stats in uWSGI shape with hits', async () => {
    const fallback = backends[2] as RunningServer;
    const front = await startServer([
      '--fastrouter',
      '127.0.0.1:0',
      '--fastrouter-to',
      `127.0.0.1:${fallback.port}`,
      '--fastrouter-stats',
      '127.0.0.1:0',
      '--master',
      '--processes',
      '1',
    ]);
    try {
      assert.match(front.log(), /spawned uWSGI fastrouter 1 \(pid: \d+\)/);
      const port = routerPortOf(front);
      const body = Buffer.alloc(300_000, 'z');
      const answer = await uwsgiRequest(port, { HTTP_HOST: 'whatever', REQUEST_URI: '/to' }, body);
      assert.match(answer, /^HTTP\/1\.1 200 OK/, answer.slice(0, 600));
      const echoed = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
        length: number;
        env: Record<string, string>;
      };
      assert.equal(echoed.length, body.length);
      assert.equal(echoed.env['REQUEST_URI'], '/to');
      const statsPort = Number(front.log().match(/fastrouter stats server enabled on \S*:(\d+)/)?.[1]);
      const text = await new Promise<string>((resolve, reject) => {
        let out = '';
        net
          .connect(statsPort, '127.0.0.1')
          .on('data', (d) => {
            out += d;
          })
          .on('end', () => resolve(out))
          .on('error', reject);
      });
      const stats = JSON.parse(text) as Record<string, unknown>;
      assert.deepEqual(Object.keys(stats), Object.keys(RECORDED.fastrouter.stats_json_with_fastrouter_to));
      assert.deepEqual(stats['static_nodes'], [{ name: `127.0.0.1:${fallback.port}`, hits: 1, grace: 0 }]);
    } finally {
      await front.close();
    }
  });

  it('use-pattern by HTTP_HOST or UWSGI_FASTROUTER_KEY, fallback for an unknown key', async () => {
    const fallback = backends[2] as RunningServer;
    const front = await startServer([
      '--fastrouter',
      '127.0.0.1:0',
      '--fastrouter-use-pattern',
      join(tmp.dir, '%s.sock'),
      '--fastrouter-fallback',
      `127.0.0.1:${fallback.port}`,
      '--master',
      '--processes',
      '1',
    ]);
    try {
      const port = routerPortOf(front);
      for (const host of ['a.example', 'b.example']) {
        const env = envOf(await uwsgiRequest(port, { HTTP_HOST: host, REQUEST_URI: `/${host}` }));
        assert.equal(env['REQUEST_URI'], `/${host}`);
      }
      await (backends[0] as RunningServer).waitFor(/GET \/a\.example/);
      await (backends[1] as RunningServer).waitFor(/GET \/b\.example/);
      // the key var wins over the Host
      await uwsgiRequest(port, {
        HTTP_HOST: 'a.example',
        UWSGI_FASTROUTER_KEY: 'b.example',
        REQUEST_URI: '/keyed',
      });
      await (backends[1] as RunningServer).waitFor(/GET \/keyed/);
      // no socket for this key: the fallback serves, the failed connect is logged
      const answer = await uwsgiRequest(port, { HTTP_HOST: 'nobody.example', REQUEST_URI: '/fell' });
      assert.match(answer, /^HTTP\/1\.1 200 OK/);
      await fallback.waitFor(/GET \/fell/);
      await front.waitFor(/unable to connect\(\) to node ".*nobody\.example\.sock"/);
    } finally {
      await front.close();
    }
  });

  it('use-base: the key appended to a directory', async () => {
    const front = await startServer([
      '--fastrouter',
      '127.0.0.1:0',
      '--fastrouter-use-base',
      `${tmp.dir}/`,
      '--master',
      '--processes',
      '1',
    ]);
    try {
      const port = routerPortOf(front);
      await uwsgiRequest(port, { UWSGI_FASTROUTER_KEY: 'b.example.sock', REQUEST_URI: '/based' });
      await (backends[1] as RunningServer).waitFor(/GET \/based/);
      // a key with no backend and no fallback: the connection is closed, logged, the router lives
      assert.equal(await uwsgiRequest(port, { UWSGI_FASTROUTER_KEY: 'none.sock' }), '');
      await front.waitFor(/no backend answered for key "none\.sock"/);
      await uwsgiRequest(port, { UWSGI_FASTROUTER_KEY: 'a.example.sock', REQUEST_URI: '/again' });
      await (backends[0] as RunningServer).waitFor(/GET \/again/);
    } finally {
      await front.close();
    }
  });
});
