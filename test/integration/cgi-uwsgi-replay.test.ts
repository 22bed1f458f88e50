// uWSGI 2.0.21's cgi plugin answers (test/fixtures/cgi-uwsgi-2.0.21.json, recorded by
// scripts/record-cgi-uwsgi.mjs) replayed against uwsgi-ts: the same script tree, the same
// options, the same raw requests; status, reason, the headers the script or the plugin made, and
// the body must be uWSGI's. Needs no uWSGI.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { answerOf, buildTree, type CgiFixture, exchange, requestBytes } from '../fixtures/cgi/cgi-kit.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const FIXTURE = JSON.parse(
  readFileSync(new URL('../fixtures/cgi-uwsgi-2.0.21.json', import.meta.url), 'utf8'),
) as CgiFixture;
const TRANSPORT = new Set(FIXTURE.transportHeadersLeftOut);

let base = '';
let server: RunningServer;

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'uwsgi-ts-cgi-replay-'));
  buildTree(base, FIXTURE.files);
  server = await startServer(
    [
      '--plugin',
      'cgi',
      '--http-socket',
      '127.0.0.1:0',
      ...FIXTURE.options.map((o) => o.replaceAll('$(ROOT)', base)),
    ],
    // as recorded: the server runs in the tree's base (a single-script mount's DOCUMENT_ROOT)
    { cwd: base },
  );
});

after(async () => {
  await server?.close();
  rmSync(base, { recursive: true, force: true });
});

describe(`CGI answers replayed from uWSGI ${FIXTURE.uwsgi}`, { timeout: 120_000 }, () => {
  it('has the acceptance cases', () => {
    const names = FIXTURE.cases.map((c) => c.name).join('\n');
    for (const want of [
      'script ok',
      'missing script',
      'not-allowed extension',
      'directory with index',
      'path-info',
      'traversal',
      'no Status header',
      'Location',
    ])
      assert.ok(names.includes(want), want);
  });

  for (const c of FIXTURE.cases) {
    it(`${c.name}: ${c.request.method ?? 'GET'} ${c.request.path} -> ${c.answer.status || 'no answer'}`, async () => {
      const raw = await exchange(server.port, requestBytes(c.request));
      const got = answerOf(raw, base, TRANSPORT);
      assert.equal(
        got.status,
        c.answer.status,
        `${raw.toString('latin1').slice(0, 400)}\n${server.log().slice(-1500)}`,
      );
      if (c.answer.status !== 0) assert.equal(got.reason, c.answer.reason);
      assert.deepEqual(got.headers, c.answer.headers);
      assert.equal(got.body, c.answer.body);
    });
  }

  it('logged the security errors as uWSGI does', () => {
    assert.match(server.log(), /CGI security error: .*outside\/secret\.sh is not under /);
    assert.ok(!server.log().includes('cgi-outside-secret-4411'));
  });
});
