// Issue 15 point 4: signed subscriptions. Our router with `subscriptions-sign-check = SHA1:DIR`
// takes announces signed with the key whose public half is DIR/KEY.pem and ignores the others;
// uWSGI 2.0.21 signs for ours and ours for uWSGI's (skipped without uWSGI).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, runCli, tempFiles } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { request, routerPort, subscriptionPort } from '../helpers/router.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { noUwsgiPython, spawnUwsgi } from '../helpers/uwsgi.js';

const skip = noUwsgiPython;
const HELLO_PY = join(REPO, 'bench', 'apps', 'hello.py');
const NODE_APP = join(REPO, 'test', 'fixtures', 'apps', 'sub-node.mjs');

async function untilBody(port: number, host: string, body: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    last = await request(port, { headers: { Host: host }, timeoutMs: 3000 }).then(
      (r) => `${r.status} ${r.body.toString()}`,
      (err: Error) => err.message,
    );
    if (last === `200 ${body}`) return last;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return last;
}

describe('signed subscriptions', { timeout: 150_000 }, () => {
  let tmp: { dir: string; cleanup: () => void };
  let certs: string;
  let goodKey: string;
  let otherKey: string;
  let router: RunningServer;
  let port: number;
  let subPort: number;
  const pem = (k: { export(o: { type: string; format: string }): string | Buffer }, type: string) =>
    String(k.export({ type, format: 'pem' }));
  before(async () => {
    tmp = tempFiles({});
    certs = join(tmp.dir, 'certs');
    execFileSync('mkdir', ['-p', certs]);
    const good = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    goodKey = join(tmp.dir, 'good.pem');
    otherKey = join(tmp.dir, 'other.pem');
    writeFileSync(goodKey, pem(good.privateKey, 'pkcs1'));
    writeFileSync(otherKey, pem(other.privateKey, 'pkcs1'));
    for (const key of ['signed.example', 'u.example', 'ours.example'])
      writeFileSync(join(certs, `${key}.pem`), pem(good.publicKey, 'spki'));
    router = await startServer([
      '--http',
      '127.0.0.1:0',
      '--http-subscription-server',
      '127.0.0.1:0',
      '--subscriptions-sign-check',
      `SHA1:${certs}`,
      '--master',
    ]);
    port = routerPort(router);
    subPort = subscriptionPort(router);
  });
  after(async () => {
    await router.close();
    tmp.cleanup();
  });

  const ourNode = (name: string, subscribe2: string) =>
    startServer(
      [
        '--socket',
        '127.0.0.1:0',
        '--app',
        NODE_APP,
        '--master',
        '--subscribe2',
        subscribe2,
        '--subscribe-freq',
        '1',
      ],
      { env: { SUB_NODE: name } },
    );

  it('our signed instance is taken; unsigned or signed with another key it is ignored', async () => {
    const good = await ourNode('good', `server=127.0.0.1:${subPort},key=signed.example,sign=SHA1:${goodKey}`);
    const unsigned = await ourNode('unsigned', `server=127.0.0.1:${subPort},key=signed.example`);
    const forged = await ourNode(
      'forged',
      `server=127.0.0.1:${subPort},key=signed.example,sign=SHA1:${otherKey}`,
    );
    try {
      await router.waitFor(new RegExp(`signed\\.example => new node: 127\\.0\\.0\\.1:${good.port}`), 15_000);
      await router.waitFor(
        new RegExp(`signed\\.example => 127\\.0\\.0\\.1:${unsigned.port}: not signed, ignored`),
      );
      await router.waitFor(
        new RegExp(`signed\\.example => 127\\.0\\.0\\.1:${forged.port}: bad signature, ignored`),
      );
      for (let i = 0; i < 4; i++) assert.equal(await untilBody(port, 'signed.example', 'good'), '200 good');
      assert.doesNotMatch(
        router.log(),
        new RegExp(`new node: 127\\.0\\.0\\.1:(${unsigned.port}|${forged.port})`),
      );
    } finally {
      await Promise.all([good.close(), unsigned.close(), forged.close()]);
    }
  });

  it('uWSGI 2.0.21 signs (subscribe2 sign=) for our router', { skip }, async () => {
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
        `server=127.0.0.1:${subPort},key=u.example,sign=SHA1:${goodKey}`,
        '--subscribe-freq',
        '1',
      ],
      { stdio: 'ignore', detached: true },
    );
    try {
      await router.waitFor(new RegExp(`u\\.example => new node: 127\\.0\\.0\\.1:${nodePort}`), 20_000);
      assert.equal(await untilBody(port, 'u.example', 'Hello World'), '200 Hello World');
    } finally {
      try {
        process.kill(-(uwsgi.pid ?? 0), 'SIGINT');
      } catch {
        // gone
      }
    }
  });

  it("we sign for uWSGI 2.0.21's subscriptions-sign-check", { skip }, async () => {
    const [httpPort, uSubPort] = [await freePort(), await freePort()];
    const front = spawnUwsgi([
      '--plugin',
      'http',
      '--http',
      `127.0.0.1:${httpPort}`,
      '--http-subscription-server',
      `127.0.0.1:${uSubPort}`,
      '--subscriptions-sign-check',
      `SHA1:${certs}`,
      '--master',
    ]);
    const node = await ourNode('ours', `server=127.0.0.1:${uSubPort},key=ours.example,sign=SHA1:${goodKey}`);
    try {
      assert.equal(await untilBody(httpPort, 'ours.example', 'ours'), '200 ours', front.log());
      assert.match(front.log(), new RegExp(`ours\\.example => new node: 127\\.0\\.0\\.1:${node.port}`));
    } finally {
      await node.close();
      front.kill();
    }
  });

  it('a private key that does not read stops the start', async () => {
    const r = await runCli([
      '--socket',
      '127.0.0.1:0',
      '--subscribe2',
      `server=127.0.0.1:1,key=k,sign=SHA1:${join(tmp.dir, 'missing.pem')}`,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /invalid value for option "subscribe2": .*cannot read the private key .*missing\.pem/,
    );
  });

  it('a subscriptions-sign-check that does not read stops the start', async () => {
    const r = await runCli(['--http', '127.0.0.1:0', '--subscriptions-sign-check', 'nothing']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /invalid value for option "subscriptions-sign-check": "nothing" is not DIGEST:CERT_DIR/,
    );
  });
});
