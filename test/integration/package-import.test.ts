// Issue 13.2: `import { cacheGet, workerId } from 'uwsgi-ts'` resolves for an app that lives
// outside the checkout (a temp dir with no node_modules), as ESM, as CommonJS and as TypeScript,
// and for a mule script there too: the worker maps the bare name to the server's own package.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { httpGet } from '../helpers/http.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-outside-'));
let server: RunningServer;

const APPS: Readonly<Record<string, string>> = {
  'app.mjs': `import { cacheGet, cacheSet, workerId } from 'uwsgi-ts';
import { libWorker } from './lib.mjs';
export default function app(_req, res) {
  cacheSet('esm', 'set by esm');
  res.end(\`esm worker=\${workerId()} lib=\${libWorker()} cache=\${cacheGet('esm')} mule=\${cacheGet('mule') ?? '-'}\`);
}
`,
  // a module of the app's own that imports the API too (not only the app's entry file)
  'lib.mjs': `import { workerId } from 'uwsgi-ts';
export const libWorker = () => workerId();
`,
  'app.cjs': `const { cacheGet, cacheSet, workerId } = require('uwsgi-ts');
module.exports = function app(_req, res) {
  cacheSet('cjs', 'set by cjs');
  res.end(\`cjs worker=\${workerId()} cache=\${cacheGet('cjs')}\`);
};
`,
  'app.ts': `import type { IncomingMessage, ServerResponse } from 'node:http';
import { cacheGet, cacheSet, workerId } from 'uwsgi-ts';
export default function app(_req: IncomingMessage, res: ServerResponse): void {
  cacheSet('ts', 'set by ts');
  const id: number = workerId();
  res.end(\`ts worker=\${id} cache=\${cacheGet('ts')}\`);
}
`,
  'mule.mjs': `import { cacheSet, muleId } from 'uwsgi-ts';
cacheSet('mule', \`mule \${muleId()}\`);
setInterval(() => {}, 60_000);
`,
};

before(async () => {
  for (const [name, text] of Object.entries(APPS)) writeFileSync(join(dir, name), text);
  server = await startServer(
    [
      '--master',
      '--processes',
      '1',
      '--http-socket',
      '127.0.0.1:0',
      '--cache2',
      'name=default,items=20,blocksize=256',
      // an optional value takes `=`, as in uWSGI
      `--mule=${join(dir, 'mule.mjs')}`,
      // the mount is chosen by the path (uWSGI: by SCRIPT_NAME without it)
      '--manage-script-name',
      '--mount',
      `/esm=${join(dir, 'app.mjs')}`,
      '--mount',
      `/cjs=${join(dir, 'app.cjs')}`,
      '--mount',
      `/ts=${join(dir, 'app.ts')}`,
    ],
    { cwd: dir, timeoutMs: 30_000 },
  );
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an ESM app outside the checkout imports cacheGet and workerId', async () => {
  const reply = await httpGet(server.port, '/esm/');
  assert.equal(reply.status, 200, server.log());
  assert.match(reply.body, /^esm worker=1 lib=1 cache=set by esm mule=/);
});

test('a CommonJS app outside the checkout requires them', async () => {
  const reply = await httpGet(server.port, '/cjs/');
  assert.equal(reply.status, 200, server.log());
  assert.equal(reply.body, 'cjs worker=1 cache=set by cjs');
});

test('a TypeScript app outside the checkout imports them', async () => {
  const reply = await httpGet(server.port, '/ts/');
  assert.equal(reply.status, 200, server.log());
  assert.equal(reply.body, 'ts worker=1 cache=set by ts');
});

test('a mule script outside the checkout imports them too', async () => {
  const deadline = Date.now() + 10_000;
  let body = '';
  while (Date.now() < deadline) {
    body = (await httpGet(server.port, '/esm/')).body;
    if (body.endsWith('mule=mule 1')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(body, /mule=mule 1$/, server.log());
});
