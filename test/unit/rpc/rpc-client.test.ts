// The RPC client against loopback nodes: it sends the very bytes uWSGI 2.0.21's client sent for
// the same calls (test/fixtures/rpc), reads every reply form, and each failure has its code:
// refused, timed out (socket-timeout), closed without a reply, too large, not an address.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RpcRegistry } from '../../../src/rpc/registry.js';
import { callRpc, routingRpc } from '../../../src/rpc/rpc-call.js';
import { callRemote, encodeRpcRequest, RPC_MAX_ARGS } from '../../../src/rpc/rpc-client.js';
import { encodeRpcReply } from '../../../src/rpc/rpc-reply.js';

const recorded = JSON.parse(
  readFileSync(new URL('../../fixtures/rpc/uwsgi-2.0.21-rpc.json', import.meta.url), 'utf8'),
) as { clientSends: Array<{ case: string; sent: string }> };

const b = (s: string) => Buffer.from(s);

interface Node {
  readonly address: string;
  readonly received: Buffer[];
  close(): Promise<void>;
}

/** A node that answers each connection's first data with `answer(bytes)` (undefined: nothing). */
function node(answer: (request: Buffer) => Buffer[] | 'close' | 'hang', path?: string): Promise<Node> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', (d: Buffer) => {
      received.push(d);
      const reply = answer(d);
      if (reply === 'close') socket.end();
      else if (reply !== 'hang') {
        for (const chunk of reply) socket.write(chunk);
        socket.end();
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(path ?? { port: 0, host: '127.0.0.1' }, () =>
      resolve({
        address: path ?? `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        received,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (err: { code?: unknown }) => err.code,
  );

test('the request bytes are those uWSGI client sends for the same call', async (t) => {
  const n = await node(() => encodeRpcReply(b('hi')));
  t.after(() => n.close());
  const sent = Object.fromEntries(recorded.clientSends.map((c) => [c.case, c.sent]));
  assert.equal((await callRemote(n.address, b('hello'), [b('x'), b('yy')], 2000)).toString(), 'hi');
  assert.equal(n.received[0]?.toString('hex'), sent['two args']);
  await callRemote(n.address, b('count'), [], 2000);
  assert.equal(n.received[1]?.toString('hex'), sent['no args']);
  await callRemote(n.address, b('count'), [b('a'), b(''), b('b')], 2000);
  assert.equal(n.received[2]?.toString('hex'), sent['an empty arg is sent']);
});

test('a large reply (form 5) and a reply split into small writes', async (t) => {
  const big = Buffer.alloc(200_000, 'z');
  const n = await node((req) =>
    req.includes('big')
      ? encodeRpcReply(big)
      : [...Buffer.concat(encodeRpcReply(b('split')))].map((x) => Buffer.from([x])),
  );
  t.after(() => n.close());
  assert.deepEqual(await callRemote(n.address, b('big'), [], 2000), big);
  assert.equal((await callRemote(n.address, b('small'), [], 2000)).toString(), 'split');
});

test('closed without a reply, refused, timed out: each its code', async (t) => {
  const closing = await node(() => 'close');
  const hanging = await node(() => 'hang');
  t.after(() => closing.close());
  t.after(() => hanging.close());
  const gone = await node(() => 'close');
  await gone.close();
  assert.equal(await code(callRemote(closing.address, b('nope'), [], 2000)), 'ERR_RPC_FAILED');
  assert.equal(await code(callRemote(gone.address, b('f'), [], 2000)), 'ERR_RPC_CONNECT');
  const started = Date.now();
  assert.equal(await code(callRemote(hanging.address, b('f'), [], 300)), 'ERR_RPC_TIMEOUT');
  assert.ok(Date.now() - started < 2000);
});

test('unix socket nodes; addresses rpc cannot use', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rpc-client-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const n = await node(() => encodeRpcReply(b('over unix')), join(dir, 'node.sock'));
  t.after(() => n.close());
  assert.equal((await callRemote(n.address, b('f'), [], 2000)).toString(), 'over unix');
  assert.equal(await code(callRemote('=0', b('f'), [], 2000)), 'ERR_RPC_CONNECT');
  assert.equal(await code(callRemote('127.0.0.1:99999', b('f'), [], 2000)), 'ERR_RPC_CONNECT');
});

test('more than 254 arguments or 65535 bytes is ERR_RPC_TOO_LARGE before connecting', async () => {
  assert.equal(RPC_MAX_ARGS, 254);
  assert.equal(encodeRpcRequest(b('f'), Array(254).fill(b('a'))).length, 4 + 3 + 254 * 3);
  assert.throws(() => encodeRpcRequest(b('f'), Array(255).fill(b('a'))), { code: 'ERR_RPC_TOO_LARGE' });
  assert.throws(() => encodeRpcRequest(b('f'), [Buffer.alloc(65535 - 4)]), { code: 'ERR_RPC_TOO_LARGE' });
  assert.equal(encodeRpcRequest(b('f'), [Buffer.alloc(65535 - 5)]).readUInt16LE(1), 65535);
  assert.equal(
    await code(callRemote('127.0.0.1:1', b('f'), Array(300).fill(b('a')), 2000)),
    'ERR_RPC_TOO_LARGE',
  );
});

test('no node calls this process; text arguments are UTF-8; routing gets undefined on failure', async (t) => {
  const registry = new RpcRegistry();
  registry.register('echo', (...args) => Buffer.concat(args.flatMap((a, i) => (i > 0 ? [b('|'), a] : [a]))));
  assert.equal((await callRpc(registry, undefined, 'echo', ['é', b('x')], 1000)).toString(), 'é|x');
  assert.equal((await callRpc(registry, '', 'echo', [], 1000)).toString(), '');
  assert.equal(await code(callRpc(registry, '', 'nope', [], 1000)), 'ERR_RPC_UNKNOWN_FUNCTION');
  const logged: string[] = [];
  const log = (line: string) => logged.push(line);
  // routing args are byte strings: '\u00e9' is the byte 0xe9, not UTF-8 'é'
  const r = await routingRpc(registry, { func: 'echo', node: undefined, args: ['\u00e9'] }, 1000, log);
  assert.deepEqual([...(r ?? [])], [0xe9]);
  assert.equal(await routingRpc(registry, { func: 'nope', node: undefined, args: [] }, 1000, log), undefined);
  assert.equal(logged.length, 0, 'an unknown local function is not logged');
  const closing = await node(() => 'close');
  t.after(() => closing.close());
  assert.equal(
    await routingRpc(registry, { func: 'f', node: closing.address, args: [] }, 1000, log),
    undefined,
  );
  assert.equal(logged.length, 1);
});
