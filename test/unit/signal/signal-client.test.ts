// The remote signal client against a local socket answering as uWSGI does (reference §1.5):
// `6e 0000 NN` in, `ff 0000 01` out; anything else is ERR_SIGNAL_NOT_DELIVERED.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import {
  isSignalAccepted,
  sendRemoteSignal,
  signalPacket,
  signalReply,
} from '../../../src/signal/signal-client.js';

async function node(
  answer: (packet: Buffer, socket: net.Socket) => void,
): Promise<{ port: number; got: Buffer[]; server: net.Server }> {
  const got: Buffer[] = [];
  const server = net.createServer((socket) => {
    socket.once('data', (d: Buffer) => {
      got.push(d);
      answer(d, socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, got, server };
}

test('the packet and the reply bytes', () => {
  assert.equal(signalPacket(17).toString('hex'), '6e000011');
  assert.equal(signalReply(true).toString('hex'), 'ff000001');
  assert.equal(signalReply(false).toString('hex'), 'ff000000');
  assert.ok(isSignalAccepted(Buffer.from('ff000001', 'hex')));
  assert.ok(!isSignalAccepted(Buffer.from('ff000000', 'hex')));
  assert.ok(!isSignalAccepted(Buffer.alloc(0)));
});

test('delivered, refused, closed without a reply, nobody listening', { timeout: 10_000 }, async (t) => {
  const ok = await node((_p, s) => s.end(signalReply(true)));
  const no = await node((_p, s) => s.end(signalReply(false)));
  const mute = await node((_p, s) => s.end());
  t.after(() => {
    for (const n of [ok, no, mute]) n.server.close();
  });
  await sendRemoteSignal(`127.0.0.1:${ok.port}`, 17);
  assert.equal(ok.got[0]?.toString('hex'), '6e000011');
  await assert.rejects(sendRemoteSignal(`127.0.0.1:${no.port}`, 17), { code: 'ERR_SIGNAL_NOT_DELIVERED' });
  await assert.rejects(sendRemoteSignal(`127.0.0.1:${mute.port}`, 17), { code: 'ERR_SIGNAL_NOT_DELIVERED' });
  mute.server.close();
  await once(mute.server, 'close');
  await assert.rejects(sendRemoteSignal(`127.0.0.1:${mute.port}`, 17, 1000), {
    code: 'ERR_SIGNAL_NOT_DELIVERED',
    message: `unable to deliver signal 17 to node 127.0.0.1:${mute.port}`,
  });
});
