// The modifier1 173 row answering every request packet uWSGI 2.0.21 was recorded answering
// (test/fixtures/rpc, scripts/record-uwsgi-rpc.mjs), with the same functions as the recording app:
// same reply bytes and same log lines, except where uwsgi-ts deliberately differs (an empty result
// is sent; a failing function logs one line instead of a Python traceback).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { test } from 'node:test';
import { encodeUwsgiPacket, encodeUwsgiVars, type UwsgiPacket } from '../../../src/protocol/uwsgi.js';
import { RpcRegistry } from '../../../src/rpc/registry.js';
import { splitRpcPath } from '../../../src/rpc/rpc-http.js';
import { rpcPacketHandler } from '../../../src/rpc/rpc-packet-handler.js';

interface ServerCase {
  case: string;
  request: string;
  reply: string;
  replyLength: number;
  log: string[];
}
const recorded = JSON.parse(
  readFileSync(new URL('../../fixtures/rpc/uwsgi-2.0.21-rpc.json', import.meta.url), 'utf8'),
) as { server: ServerCase[] };

/** The functions of test/fixtures/rpc/uwsgi_rpc_app.py. */
function registry(): RpcRegistry {
  const r = new RpcRegistry();
  r.register('hello', (...args) => Buffer.concat([Buffer.from('hello '), Buffer.from(args.join(','))]));
  r.register('big', (n) => Buffer.alloc(Number(n?.toString() ?? 100000), 'x'));
  r.register('empty', () => '');
  r.register('count', (...args) => String(args.length));
  r.register('boom', async () => {
    throw new Error('boom');
  });
  return r;
}

/** A socket that records what is written; resolves when the handler ends it. */
function fakeSocket() {
  const chunks: Buffer[] = [];
  let done: (bytes: Buffer) => void = () => {};
  const ended = new Promise<Buffer>((resolve) => {
    done = resolve;
  });
  const socket = {
    destroyed: false,
    writable: true,
    write(chunk: Buffer) {
      chunks.push(chunk);
      return true;
    },
    end(chunk?: Buffer) {
      if (chunk) chunks.push(chunk);
      this.writable = false;
      done(Buffer.concat(chunks));
      return this;
    },
  };
  return { socket: socket as unknown as net.Socket, ended };
}

async function serve(requestHex: string) {
  const bytes = Buffer.from(requestHex, 'hex');
  const size = bytes.readUInt16LE(1);
  const packet: UwsgiPacket = {
    modifier1: bytes[0]!,
    modifier2: bytes[3]!,
    payload: bytes.subarray(4, 4 + size),
  };
  const log: string[] = [];
  const { socket, ended } = fakeSocket();
  const handler = rpcPacketHandler(registry());
  assert.equal(handler.raw(packet.modifier2), true);
  handler.handle(packet, socket, Buffer.alloc(0), { log: (line) => log.push(line.replace(/\n$/, '')) });
  const reply = await ended;
  return { reply, log };
}

/** Where uwsgi-ts differs on purpose: [case, our reply (hex or text), our log]. */
const DIFFERENCES: Record<string, { reply: string; log: RegExp[] }> = {
  // the result exists, it is empty: uWSGI closes, as for a failure
  'empty result': { reply: 'ad000000', log: [] },
  'function raises': { reply: '', log: [/rpc function "boom" failed: boom \[ERR_RPC_FAILED\]/] },
  'http: function raises': {
    reply: Buffer.from(
      'HTTP/1.0 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nNot Found',
    ).toString('hex'),
    log: [/rpc function "boom" failed: boom \[ERR_RPC_FAILED\]/],
  },
};

test('every recorded uWSGI exchange gets the same reply and log lines', async () => {
  assert.ok(recorded.server.length >= 25);
  for (const c of recorded.server) {
    const { reply, log } = await serve(c.request);
    const differs = DIFFERENCES[c.case];
    if (differs) {
      assert.equal(reply.toString('hex'), differs.reply, c.case);
      assert.equal(log.length, differs.log.length, `${c.case}: ${log.join('|')}`);
      for (const [i, re] of differs.log.entries()) assert.match(log[i] ?? '', re, c.case);
      continue;
    }
    assert.equal(reply.length, c.replyLength, c.case);
    const shown = reply.length > 1024 ? reply.subarray(0, 64) : reply;
    assert.equal(shown.toString('hex'), c.reply, c.case);
    assert.deepEqual(log, c.log, c.case);
  }
});

const varsPacket = (modifier2: number, vars: [string, string][]) =>
  encodeUwsgiPacket(173, modifier2, encodeUwsgiVars(vars)).toString('hex');

test('modifier2 3 (XML-RPC) answers 501 with one log line', async () => {
  const { reply, log } = await serve(varsPacket(3, [['SERVER_PROTOCOL', 'HTTP/1.1']]));
  assert.match(reply.toString(), /^HTTP\/1\.1 501 Not Implemented\r\n/);
  assert.equal(log.length, 1);
});

test('an HTTP result of a function that returns nothing is a 200 with an empty body', async () => {
  const { reply } = await serve(varsPacket(2, [['PATH_INFO', '/empty']]));
  assert.equal(
    reply.toString(),
    'HTTP/1.0 200 OK\r\nContent-Length: 0\r\nContent-Type: application/binary\r\n\r\n',
  );
});

test('PATH_INFO splits on / and skips empty segments', () => {
  assert.deepEqual(splitRpcPath('/f//a/b%20c/').map(String), ['f', 'a', 'b%20c']);
  assert.deepEqual(splitRpcPath(''), []);
});

test('a peer that went away while an async function ran gets nothing written', async () => {
  const r = new RpcRegistry();
  let release: () => void = () => {};
  r.register('slow', () => new Promise<string>((resolve) => (release = () => resolve('late'))));
  const writes: unknown[] = [];
  const socket = {
    destroyed: false,
    writable: true,
    write: (c: unknown) => writes.push(c),
    end: (c?: unknown) => writes.push(c ?? 'end'),
  };
  const payload = Buffer.from('0400736c6f77', 'hex');
  rpcPacketHandler(r).handle(
    { modifier1: 173, modifier2: 0, payload },
    socket as unknown as net.Socket,
    Buffer.alloc(0),
    {
      log: () => {},
    },
  );
  socket.destroyed = true;
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, []);
});
