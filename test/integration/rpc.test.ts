// RPC on the real CLI (issue "Shared services"; reference §1.3-§1.5): functions registered by an
// app at import time answer raw modifier1 173 packets on a uwsgi socket, as uWSGI's client sends
// them; an app calls another uwsgi-ts instance's functions (Node-style and fetch-style apps);
// socket-timeout bounds a call; and, when uWSGI is installed, the real uWSGI calls ours and ours
// call the real uWSGI's (both directions of the acceptance line).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { describe, test } from 'node:test';
import { encodeUwsgiPacket, encodeUwsgiVars } from '../../src/protocol/uwsgi.js';
import { encodeUwsgiArray } from '../../src/protocol/uwsgi-array.js';
import { REPO } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const NODE_APP = 'test/fixtures/rpc/rpc-node-app.mjs';
const FETCH_APP = 'test/fixtures/rpc/rpc-fetch-app.mjs';
const UWSGI_APP = `${REPO}/test/fixtures/rpc/uwsgi_rpc_app.py`;

/** Sends `bytes` on a fresh connection; resolves with everything received until the server closes. */
function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.setTimeout(8000, () => socket.destroy(new Error('no answer')));
  });
}

const call = (modifier2: number, ...items: string[]) =>
  encodeUwsgiPacket(173, modifier2, encodeUwsgiArray(items.map((i) => Buffer.from(i))));
const hex = (text: string) => Buffer.from(text).toString('hex');

test('functions registered at import time answer raw 173 packets on a uwsgi socket', {
  timeout: 30_000,
}, async (t) => {
  const server = await startServer([
    '--master',
    '--processes',
    '2',
    '--socket',
    '127.0.0.1:0',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    NODE_APP,
  ]);
  t.after(() => server.close());
  const [port = 0, httpPort = 0] = server.ports;
  // every worker loaded the app, so every worker has the functions (uWSGI's lazy-apps line)
  await server.waitFor(/registered RPC function "hello" on worker 1/);
  await server.waitFor(/registered RPC function "hello" on worker 2/);

  // the bytes of the reference's exchange (§1.5), as uWSGI's client sends them
  assert.equal(
    (await exchange(port, Buffer.from('ad0d000005006865' + '6c6c6f0100610100' + '62', 'hex'))).toString(
      'hex',
    ),
    `ad090000${hex('hello a,b')}`,
  );
  assert.equal((await exchange(port, call(1, 'hello', 'x'))).toString(), 'hello x');
  assert.equal((await exchange(port, call(0, 'count', 'a', '', 'b'))).toString('hex'), `ad010000${hex('2')}`);
  // async function: the reply waits for it
  assert.equal((await exchange(port, call(0, 'slow', '300'))).subarray(4).toString(), 'slept');
  // more than 65535 bytes: the large form (modifier2 5 + CONTENT_LENGTH)
  const large = await exchange(port, call(0, 'big', '70000'));
  assert.equal(large[3], 5);
  assert.equal(large.length, 4 + 4 + 'CONTENT_LENGTH'.length + '70000'.length + 70000);
  assert.equal((await exchange(port, call(1, 'big', '70000'))).length, 70000);
  // unknown function and failing function: the connection is closed with nothing sent
  assert.equal((await exchange(port, call(0, 'nope', 'a'))).length, 0);
  assert.equal((await exchange(port, call(0, 'boom'))).length, 0);
  await server.waitFor(/rpc function "boom" failed: boom \[ERR_RPC_FAILED\]/);
  assert.equal((await exchange(port, Buffer.from('ad000000', 'hex'))).length, 0);
  await server.waitFor(/Empty RPC request\. skip\./);
  // the HTTP wrapper (modifier2 2): PATH_INFO = /func/args
  const vars = encodeUwsgiVars([
    ['PATH_INFO', '/hello/p/q'],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
  ]);
  assert.equal(
    (await exchange(port, encodeUwsgiPacket(173, 2, vars))).toString(),
    'HTTP/1.1 200 OK\r\nContent-Length: 9\r\nContent-Type: application/binary\r\n\r\nhello p,q',
  );
  // the socket still serves apps, and the app sees its functions
  assert.equal((await httpGet(httpPort, '/list')).body, 'hello,big,empty,count,boom,slow,worker');
});

test('an app calls another uwsgi-ts instance: Node-style and fetch-style, local calls, errors', {
  timeout: 40_000,
}, async (t) => {
  const a = await startServer(['--socket', '127.0.0.1:0', '--http-socket', '127.0.0.1:0', '--app', NODE_APP]);
  t.after(() => a.close());
  const b = await startServer(['--http-socket', '127.0.0.1:0', '--socket-timeout', '1', '--app', FETCH_APP]);
  t.after(() => b.close());
  const [aSocket = 0, aHttp = 0] = a.ports;
  const node = `127.0.0.1:${aSocket}`;
  // fetch-style app B calls Node-style app A's functions, and its own in-process
  assert.equal(
    (await httpGet(b.port, `/call?node=${node}&fn=hello&a=x&a=yy`)).body,
    `OK ${hex('hello x,yy')}`,
  );
  assert.equal((await httpGet(b.port, `/call?node=${node}&fn=big&a=100000`)).body.length, 3 + 200000);
  assert.equal((await httpGet(b.port, `/call?node=${node}&fn=empty`)).body, 'OK ');
  assert.equal((await httpGet(b.port, '/call?fn=shout&a=hey')).body, `OK ${hex('HEY!')}`);
  assert.equal((await httpGet(b.port, '/call?fn=hello')).body, 'ERR ERR_RPC_UNKNOWN_FUNCTION');
  // remote failures: unknown function, a refused connection, socket-timeout (1 s) passed
  assert.equal((await httpGet(b.port, `/call?node=${node}&fn=nope`)).body, 'ERR ERR_RPC_FAILED');
  assert.equal((await httpGet(b.port, '/call?node=127.0.0.1:1&fn=x')).body, 'ERR ERR_RPC_CONNECT');
  const started = Date.now();
  assert.equal((await httpGet(b.port, `/call?node=${node}&fn=slow&a=3000`)).body, 'ERR ERR_RPC_TIMEOUT');
  assert.ok(Date.now() - started < 2900, `timed out after ${Date.now() - started} ms`);
  // Node-style app A calls fetch-style app B's function? B has no uwsgi socket: A calls itself
  assert.equal((await httpGet(aHttp, `/call?node=${node}&fn=count&a=1&a=2&a=3`)).body, `OK ${hex('3')}`);
  assert.equal((await httpGet(aHttp, '/call?fn=worker')).body, `OK ${hex('1')}`);
  // registered in a request: in this worker only, and callable from then on
  assert.equal((await httpGet(aHttp, '/register?name=late')).body, '1');
  assert.equal((await httpGet(aHttp, `/call?node=${node}&fn=late`)).body, `OK ${hex('late 1')}`);
  await a.waitFor(/registered RPC function "late" on worker 1/);
});

function hasUwsgiRpc(): boolean {
  const run = spawnSync('uwsgi', ['--version'], { encoding: 'utf8' });
  return run.status === 0 && spawnSync('test', ['-e', '/usr/lib/uwsgi/plugins/rpc_plugin.so']).status === 0;
}
const NO_UWSGI = !hasUwsgiRpc() && 'uWSGI with the python3 and rpc plugins is not installed';

/** The real uWSGI with test/fixtures/rpc/uwsgi_rpc_app.py: a uwsgi socket and an HTTP socket. */
async function startUwsgi(): Promise<{ socketPort: number; httpPort: number; close(): Promise<void> }> {
  const proc = spawn(
    'uwsgi',
    [
      '--plugin',
      'python3,rpc',
      '--socket',
      '127.0.0.1:0',
      '--http-socket',
      '127.0.0.1:0',
      '--wsgi-file',
      UWSGI_APP,
      '--disable-logging',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let log = '';
  const collect = (d: Buffer) => {
    log += d.toString();
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const close = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    process.kill(-(proc.pid ?? 0), 'SIGINT');
    const kill = setTimeout(() => process.kill(-(proc.pid ?? 0), 'SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const ports = [...log.matchAll(/bound to TCP address 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    if (ports.length === 2 && /spawned uWSGI worker/.test(log)) {
      return { socketPort: ports[0] ?? 0, httpPort: ports[1] ?? 0, close };
    }
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await close();
  throw new Error(`uWSGI did not start:\n${log}`);
}

describe('interop with the real uWSGI 2.0.21', { skip: NO_UWSGI, timeout: 60_000 }, () => {
  test('uWSGI calls our functions and we call uWSGI: the wire formats interoperate', async (t) => {
    const uwsgi = await startUwsgi();
    t.after(() => uwsgi.close());
    const ours = await startServer([
      '--socket',
      '127.0.0.1:0',
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      NODE_APP,
    ]);
    t.after(() => ours.close());
    const [ourSocket = 0, ourHttp = 0] = ours.ports;

    // uWSGI -> uwsgi-ts: `uwsgi.rpc(b'127.0.0.1:PORT', b'hello', b'x', b'yy')` in the Python app
    const theirs = (query: string) => httpGet(uwsgi.httpPort, `/?node=127.0.0.1:${ourSocket}&${query}`);
    assert.equal((await theirs('fn=hello&a=x&a=yy')).body, `OK ${hex('hello x,yy')}`);
    assert.equal((await theirs('fn=count')).body, `OK ${hex('0')}`);
    // more than 65535 bytes: our large form, read by uWSGI's client
    const big = (await theirs('fn=big&a=100000')).body;
    assert.equal(big, `OK ${hex('x'.repeat(100000))}`);
    assert.equal((await theirs('fn=slow&a=200')).body, `OK ${hex('slept')}`);
    // nothing for an unknown function: uWSGI's client returns None
    assert.equal((await theirs('fn=nope')).body, 'NONE');

    // uwsgi-ts -> uWSGI: `rpc('127.0.0.1:PORT', 'hello', 'x', 'yy')` in our app
    const node = `127.0.0.1:${uwsgi.socketPort}`;
    assert.equal(
      (await httpGet(ourHttp, `/call?node=${node}&fn=hello&a=x&a=yy`)).body,
      `OK ${hex('hello x,yy')}`,
    );
    // uWSGI's large form (65536 bytes and more), read by our client
    assert.equal(
      (await httpGet(ourHttp, `/call?node=${node}&fn=big&a=70000`)).body,
      `OK ${hex('x'.repeat(70000))}`,
    );
    assert.equal((await httpGet(ourHttp, `/call?node=${node}&fn=big&a=65535`)).body.length, 3 + 2 * 65535);
    // uWSGI closes without a reply for an unknown, a failing or an empty function
    assert.equal((await httpGet(ourHttp, `/call?node=${node}&fn=nope`)).body, 'ERR ERR_RPC_FAILED');
    assert.equal((await httpGet(ourHttp, `/call?node=${node}&fn=boom`)).body, 'ERR ERR_RPC_FAILED');
  });
});
