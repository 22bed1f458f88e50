// Issue "Operations", acceptance: a 20-second load at 50 concurrent keep-alive connections while
// the server is reloaded three times each by SIGHUP, touch-reload and FIFO `c`, with the app file
// changed between reloads: zero failed requests, zero connection errors, and the new code answers
// after each reload. The same with `processes = 1`.
import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

const LOAD_MS = 20_000;
const CONNECTIONS = 50;

const appSource = (version: number) =>
  `export default function app(req, res) {
  const body = 'v${version}';
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(body.length) });
  res.end(body);
}
`;

interface LoadResult {
  ok: number;
  failed: string[];
  /** The last version each answer carried, in order of arrival. */
  latest: string;
}

/** CONNECTIONS loops over one keep-alive agent until `until`; every failure is kept. */
function load(port: number, until: () => boolean, result: LoadResult): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          if (res.statusCode === 200) {
            result.ok++;
            result.latest = body;
          } else result.failed.push(`status ${res.statusCode}: ${body}`);
          resolve();
        });
        res.on('error', (err) => {
          result.failed.push(`response: ${err.message}`);
          resolve();
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        result.failed.push(`${err.code ?? ''} ${err.message}`);
        resolve();
      });
    });
  const loops = Array.from({ length: CONNECTIONS }, async () => {
    while (!until()) await one();
  });
  return Promise.all(loops).then(() => agent.destroy());
}

for (const processes of [2, 1]) {
  describe(`zero-downtime reloads, processes = ${processes}`, () => {
    it('3 x SIGHUP, 3 x touch-reload, 3 x FIFO c under 50 keep-alive connections: nothing fails', {
      timeout: 90_000,
    }, async (t) => {
      const tmp = tempFiles({ 'app.mjs': appSource(0), 'reload.touch': '' });
      t.after(tmp.cleanup);
      const app = join(tmp.dir, 'app.mjs');
      const touch = join(tmp.dir, 'reload.touch');
      const fifo = join(tmp.dir, 'master.fifo');
      const server = await startServer([
        '--master',
        '--processes',
        String(processes),
        '--http-socket',
        '127.0.0.1:0',
        '--app',
        app,
        '--touch-reload',
        touch,
        '--master-fifo',
        fifo,
        '--disable-logging',
      ]);
      t.after(() => server.close());

      const result: LoadResult = { ok: 0, failed: [], latest: '' };
      const started = Date.now();
      let reloadsDone = false;
      let aborted = false;
      const running = load(
        server.port,
        () => aborted || (reloadsDone && Date.now() - started > LOAD_MS),
        result,
      );
      // a failed assertion must not leave 50 loops running against a stopped server
      t.after(() => {
        aborted = true;
      });

      const triggers: Array<[string, () => void, RegExp]> = [
        ['SIGHUP', () => void server.proc.kill('SIGHUP'), /uwsgi-ts: reload done/g],
        [
          'touch-reload',
          () => {
            const now = new Date(Date.now() + 1000);
            utimesSync(touch, now, now);
          },
          /uwsgi-ts: reload done/g,
        ],
        ['FIFO c', () => writeFileSync(fifo, 'c'), /chain reload complete/g],
      ];
      let version = 0;
      const count = (re: RegExp) => server.log().match(re)?.length ?? 0;
      for (let round = 0; round < 3; round++) {
        for (const [name, fire, done] of triggers) {
          version++;
          writeFileSync(app, appSource(version));
          const before = count(done);
          fire();
          const deadline = Date.now() + 15_000;
          while (count(done) === before) {
            assert.ok(Date.now() < deadline, `${name} reload did not finish:\n${server.log()}`);
            await new Promise((r) => setTimeout(r, 50));
          }
          // the new code answers: wait until an answer carries the new version
          while (result.latest !== `v${version}`) {
            assert.ok(Date.now() < deadline, `v${version} never answered after ${name}`);
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      }
      reloadsDone = true;
      await running;
      assert.deepEqual(
        result.failed.slice(0, 10),
        [],
        `${result.failed.length} failed of ${result.ok + result.failed.length}`,
      );
      assert.ok(result.ok > 1000, `only ${result.ok} answers`);
      assert.equal(result.latest, `v${version}`);
      assert.equal(server.proc.exitCode, null, 'the master lives on');
      t.diagnostic(`${result.ok} requests, 0 failed, 9 reloads, ${Date.now() - started} ms`);
    });
  });
}
