// modifier1 picks the handler (issue 14 point 4, src/worker/modifier-table.ts): the uwsgi packet's
// modifier1, the one a socket protocol forces (http-socket-modifier1, scgi-modifier1), the
// setmodifier1 routing action, the setapp action (UWSGI_APPID picks the app), and uWSGI's answer
// to a modifier nothing serves: "-- unavailable modifier requested: N --" and a closed connection
// (observed on 2.0.21 with `--http-socket-modifier1 9` and no cgi plugin).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exchange, nginxVars, requestBytes, uwsgiPacket } from '../fixtures/cgi/cgi-kit.js';
import { type RunningServer, startServer } from '../helpers/server.js';

let base = '';
const appFile = (name: string) => {
  const file = join(base, `${name}.mjs`);
  writeFileSync(
    file,
    `export default (req, res) => { res.setHeader('content-type', 'text/plain'); res.end('app ${name} ' + req.url + '\\n'); };\n`,
  );
  return file;
};

function scgiRequest(path: string): Buffer {
  const headers: Array<[string, string]> = [
    ['CONTENT_LENGTH', '0'],
    ['SCGI', '1'],
    ['REQUEST_METHOD', 'GET'],
    ['REQUEST_URI', path],
    ['PATH_INFO', path],
    ['QUERY_STRING', ''],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
  ];
  const block = Buffer.from(headers.map(([k, v]) => `${k}\0${v}\0`).join(''), 'latin1');
  return Buffer.concat([Buffer.from(`${block.length}:`), block, Buffer.from(',')]);
}

before(() => {
  base = mkdtempSync(join(tmpdir(), 'uwsgi-ts-modifiers-'));
  mkdirSync(join(base, 'cgi'));
  writeFileSync(
    join(base, 'cgi', 'hi.sh'),
    '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\ncgi hi SCRIPT_NAME=%s\\n" "$SCRIPT_NAME"\n',
    { mode: 0o755 },
  );
});
after(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('a modifier1 nothing serves', { timeout: 60_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer([
      '--http-socket',
      '127.0.0.1:0',
      '--http-socket-modifier1',
      '9',
      '--socket',
      '127.0.0.1:0',
      '--app',
      appFile('only'),
    ]);
  });
  after(async () => {
    await server?.close();
  });

  it('http-socket-modifier1 9 without cgi: the line uWSGI logs, and no answer', async () => {
    const raw = await exchange(server.ports[0] as number, requestBytes({ path: '/x' }));
    assert.equal(raw.length, 0, raw.toString());
    await server.waitFor(/-- unavailable modifier requested: 9 --/, 5000);
  });

  it('a uwsgi packet with modifier1 9 or 42: the same', async () => {
    for (const m of [9, 42]) {
      const raw = await exchange(server.ports[1] as number, uwsgiPacket(nginxVars('/x'), m));
      assert.equal(raw.length, 0);
      await server.waitFor(new RegExp(`-- unavailable modifier requested: ${m} --`), 5000);
    }
  });

  it('modifier1 0 and 30 reach the app', async () => {
    for (const m of [0, 30]) {
      const raw = (await exchange(server.ports[1] as number, uwsgiPacket(nginxVars('/y'), m))).toString();
      assert.match(raw, /^HTTP\/1\.[01] 200 OK\r\n[\s\S]*\r\n\r\napp only \/y\n$/);
    }
  });
});

describe('modifier1 from the socket, from setmodifier1, and setapp', { timeout: 60_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer([
      '--http-socket',
      '127.0.0.1:0',
      '--scgi-socket',
      '127.0.0.1:0',
      '--scgi-modifier1',
      '9',
      '--mount',
      `/a=${appFile('a')}`,
      '--mount',
      `/b=${appFile('b')}`,
      '--cgi',
      `/scripts=${join(base, 'cgi')}`,
      '--route',
      '^/scripts/ setmodifier1:9',
      '--route',
      '^/pick-b setapp:/b',
      '--limit-post',
      '1000',
    ]);
  });
  after(async () => {
    await server?.close();
  });

  it('setmodifier1:9 sends a request of a modifier-0 socket to CGI; others reach the apps', async () => {
    const cgi = (
      await exchange(server.ports[0] as number, requestBytes({ path: '/scripts/hi.sh' }))
    ).toString();
    assert.match(cgi, /^HTTP\/1\.1 200 OK\r\n[\s\S]*cgi hi SCRIPT_NAME=\/scripts\/hi\.sh\n/);
    const app = (await exchange(server.ports[0] as number, requestBytes({ path: '/a/page' }))).toString();
    assert.match(app, /\r\n\r\napp a \S*page\n$/);
  });

  it('scgi-modifier1 9: every request of the SCGI socket runs as CGI', async () => {
    const raw = (await exchange(server.ports[1] as number, scgiRequest('/scripts/hi.sh'))).toString();
    assert.match(raw, /cgi hi SCRIPT_NAME=\/scripts\/hi\.sh\n/);
  });

  it('limit-post holds for CGI requests too (413, the script never runs)', async () => {
    const raw = (
      await exchange(
        server.ports[0] as number,
        requestBytes({ path: '/scripts/hi.sh', method: 'POST', body: 'x'.repeat(2000) }),
      )
    ).toString();
    assert.match(raw, /^HTTP\/1\.1 413 /);
    await server.waitFor(/Invalid \(too big\) CONTENT_LENGTH\. skip\. \(2000 > limit-post 1000\)/, 5000);
  });

  it('setapp picks the app by its mountpoint (UWSGI_APPID)', async () => {
    const raw = (await exchange(server.ports[0] as number, requestBytes({ path: '/pick-b' }))).toString();
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\napp b \/pick-b\n$/);
  });
});

describe("plugins = 0:cgi moves CGI to modifier1 0 (unbit/uwsgi t/runner's cgi case)", {
  timeout: 60_000,
}, () => {
  let server: RunningServer;
  before(async () => {
    // t/runner's test_cgi_helloworld: `--plugins 0:cgi --cgi hello.cgi`, GET /foobar/say_hello
    // (its `--need-app=0` is refused by uWSGI 2.0.21 too: a flag takes no value there)
    const script = join(base, 'hello.cgi');
    writeFileSync(
      script,
      '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "Hello world!"\necho "PATH_INFO=$PATH_INFO"\n',
      {
        mode: 0o755,
      },
    );
    server = await startServer([
      '--http-socket',
      '127.0.0.1:0',
      '--socket',
      '127.0.0.1:0',
      '--plugins',
      '0:cgi',
      '--cgi',
      script,
    ]);
  });
  after(async () => {
    await server?.close();
  });

  it("answers t/runner's request as uWSGI does", async () => {
    const raw = (
      await exchange(server.ports[0] as number, requestBytes({ path: '/foobar/say_hello' }))
    ).toString();
    assert.match(
      raw,
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n(?:[0-9a-f]+\r\n)?Hello world!\nPATH_INFO=\/foobar\/say_hello\n/,
    );
  });

  it('modifier1 0 packets run the script; 9 is no longer served (observed on 2.0.21)', async () => {
    const zero = (await exchange(server.ports[1] as number, uwsgiPacket(nginxVars('/x'), 0))).toString();
    assert.match(zero, /Hello world!\nPATH_INFO=\/x\n$/);
    const nine = await exchange(server.ports[1] as number, uwsgiPacket(nginxVars('/x'), 9));
    assert.equal(nine.length, 0);
    await server.waitFor(/-- unavailable modifier requested: 9 --/, 5000);
  });
});
