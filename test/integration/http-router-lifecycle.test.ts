// Issue 15 point 1: the router is a supervised role. A graceful reload of the workers under load
// through the router loses no request (uWSGI does not reload its gateways: the router keeps its
// connections, the workers' socket keeps its queue); a killed router is respawned and serves.
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { request, routerPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const HELLO = join(REPO, 'test', 'fixtures', 'apps', 'hello.mjs');

describe('the HTTP router across reloads and deaths', { timeout: 120_000 }, () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--app', HELLO, '--master', '--processes', '2']);
    port = routerPort(server);
  });
  after(() => server.close());

  it('a graceful reload of the workers under load: no failed request, the router is kept', async () => {
    const routerPid = server.log().match(/spawned uWSGI http 1 \(pid: (\d+)\)/)?.[1];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
    let ok = 0;
    const failed: string[] = [];
    let running = true;
    const loops = Array.from({ length: 20 }, async () => {
      while (running) {
        try {
          const r = await request(port, { agent, timeoutMs: 15_000 });
          if (r.status === 200 && r.body.toString() === 'Hello World') ok++;
          else failed.push(`status ${r.status}`);
        } catch (err) {
          failed.push((err as Error).message);
        }
      }
    });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      for (let i = 0; i < 2; i++) {
        const before = (server.log().match(/reload done, new workers serving/g) ?? []).length;
        process.kill(server.pid, 'SIGHUP');
        await server.waitFor(
          new RegExp(`(reload done, new workers serving[\\s\\S]*){${before + 1}}`),
          30_000,
        );
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    }
    assert.deepEqual(failed.slice(0, 5), [], `${failed.length} failed of ${ok + failed.length}`);
    assert.ok(ok > 50, `${ok} requests served`);
    // the same router process throughout
    assert.equal(server.log().match(/spawned uWSGI http 1 \(pid: (\d+)\)/g)?.length, 1);
    assert.ok(routerPid);
    process.kill(Number(routerPid), 0);
  });

  it('a killed router is respawned, logged, and serves', async () => {
    const pid = Number(server.log().match(/spawned uWSGI http 1 \(pid: (\d+)\)/)?.[1]);
    process.kill(pid, 'SIGKILL');
    const m = await server.waitFor(/respawned uWSGI http 1 \(pid: (\d+)\)/, 15_000);
    assert.notEqual(Number(m[1]), pid);
    // the master kept the router socket: same port, served again once the new process listens
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await request(port, { timeoutMs: 5000 }).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200);
  });
});
