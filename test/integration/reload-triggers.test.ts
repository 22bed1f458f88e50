// Reload triggers (issue "Operations" point 1): touch-reload, touch-chain-reload, touch-exec,
// fs-reload, js-autoreload, and a reload that re-reads the config file (the app named in it
// changes) while a reload whose new workers fail keeps the old ones serving.
import assert from 'node:assert/strict';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

function body(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false, signal: AbortSignal.timeout(5000) }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
}

const app = (text: string) => `export default function (req, res) { res.end(${JSON.stringify(text)}); }\n`;
const touch = (path: string) => {
  const t = new Date(Date.now() + 2000);
  utimesSync(path, t, t);
};

test('touch-reload, touch-chain-reload and touch-exec fire on a new mtime', {
  timeout: 40_000,
}, async (t) => {
  const tmp = tempFiles({ 'app.mjs': app('one'), reload: '', chain: '', exec: '' });
  t.after(tmp.cleanup);
  const marker = join(tmp.dir, 'exec-ran');
  const server = await startServer([
    '--master',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    join(tmp.dir, 'app.mjs'),
    '--touch-reload',
    join(tmp.dir, 'reload'),
    '--touch-chain-reload',
    join(tmp.dir, 'chain'),
    '--touch-exec',
    `${join(tmp.dir, 'exec')} touch ${marker}`,
  ]);
  t.after(() => server.close());
  assert.equal(await body(server.port), 'one');
  writeFileSync(join(tmp.dir, 'app.mjs'), app('two'));
  touch(join(tmp.dir, 'reload'));
  await server.waitFor(/reload has been touched\.\.\. grace them all !!!/);
  await server.waitFor(/uwsgi-ts: reload done/);
  assert.equal(await body(server.port), 'two');
  writeFileSync(join(tmp.dir, 'app.mjs'), app('three'));
  touch(join(tmp.dir, 'chain'));
  await server.waitFor(/chain reload complete/, 20_000);
  assert.equal(await body(server.port), 'three');
  touch(join(tmp.dir, 'exec'));
  for (let i = 0; i < 50 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(marker), 'touch-exec ran its command');
});

test('fs-reload and js-autoreload reload when files change', { timeout: 40_000 }, async (t) => {
  const tmp = tempFiles({ 'app.mjs': app('a'), 'watched.txt': '' });
  t.after(tmp.cleanup);
  const server = await startServer([
    '--master',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    join(tmp.dir, 'app.mjs'),
    '--fs-reload',
    join(tmp.dir, 'watched.txt'),
    '--js-autoreload',
    '1',
  ]);
  t.after(() => server.close());
  writeFileSync(join(tmp.dir, 'watched.txt'), 'changed');
  await server.waitFor(/\[uwsgi-fsmon\] .*watched\.txt has been modified: graceful reload/);
  await server.waitFor(/uwsgi-ts: reload done/);
  const mark = server.log().length;
  writeFileSync(join(tmp.dir, 'app.mjs'), app('b'));
  await server.waitFor(/\[uwsgi-ts-autoreload\] .*app\.mjs modified: reloading the workers/, 10_000);
  for (let i = 0; i < 100 && !/reload done/.test(server.log().slice(mark)); i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.equal(await body(server.port), 'b');
});

test('a reload re-reads the config file; a broken new app keeps the old workers serving', {
  timeout: 40_000,
}, async (t) => {
  const tmp = tempFiles({
    'v1.mjs': app('v1'),
    'v2.mjs': app('v2'),
    'broken.mjs': 'throw new Error("broken on purpose");\n',
  });
  t.after(tmp.cleanup);
  const ini = join(tmp.dir, 'app.ini');
  writeFileSync(
    ini,
    `[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:0\napp = ${join(tmp.dir, 'v1.mjs')}\nneed-app = true\n`,
  );
  const server = await startServer([ini]);
  t.after(() => server.close());
  assert.equal(await body(server.port), 'v1');
  writeFileSync(
    ini,
    `[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:0\napp = ${join(tmp.dir, 'v2.mjs')}\nneed-app = true\n`,
  );
  server.proc.kill('SIGHUP');
  await server.waitFor(/reload: configuration re-read[\s\S]*uwsgi-ts: reload done/);
  assert.equal(await body(server.port), 'v2');
  writeFileSync(
    ini,
    `[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:0\napp = ${join(tmp.dir, 'broken.mjs')}\nneed-app = true\n`,
  );
  server.proc.kill('SIGHUP');
  await server.waitFor(/reload failed, the old workers keep serving/, 20_000);
  assert.equal(await body(server.port), 'v2');
});
