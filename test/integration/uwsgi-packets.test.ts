// uwsgi packets that are not requests, on a real uwsgi socket (reference §1.4, §1.5): ping (100)
// answers a pong, echo (101) sends the payload back, an unknown modifier1 is logged and closed.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { startServer } from '../helpers/server.js';

function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
  });
}

test('ping, echo and an unknown modifier1 on a uwsgi socket', { timeout: 20_000 }, async (t) => {
  const server = await startServer(['--socket', '127.0.0.1:0', '--app', 'test/fixtures/apps/probe.mjs']);
  t.after(() => server.close());
  assert.equal((await exchange(server.port, Buffer.from('64000000', 'hex'))).toString('hex'), '64000001');
  const echo = Buffer.concat([Buffer.from('65070000', 'hex'), Buffer.from('echo-me')]);
  assert.equal((await exchange(server.port, echo)).toString(), 'echo-me');
  assert.equal((await exchange(server.port, Buffer.from('63000000', 'hex'))).length, 0);
  await server.waitFor(/-- unavailable modifier requested: 99 --/);
});
