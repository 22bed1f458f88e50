// UWSGI_EMPEROR_FD_CONFIG's packet (reference §1 "emperor config push"): [115, size u16 LE, 0] +
// the config text; the vassal reads the size from the header and refuses any other packet.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONFIG_MODIFIER, configPacketSize, encodeConfigPacket } from '../../../src/emperor/config-pipe.js';

describe('the Emperor config push packet', () => {
  it('is modifier1 115, the size little-endian, modifier2 0, then the text', () => {
    const packet = encodeConfigPacket('[uwsgi]\nsocket = /tmp/a.sock\n');
    assert.deepEqual([...packet.subarray(0, 4)], [115, 29, 0, 0]);
    assert.equal(packet.subarray(4).toString(), '[uwsgi]\nsocket = /tmp/a.sock\n');
    assert.equal(configPacketSize(packet.subarray(0, 4)), 29);
  });

  it('counts bytes, not characters, and takes sizes past 255', () => {
    const text = `[uwsgi]\n; ${'é'.repeat(300)}\n`;
    const packet = encodeConfigPacket(text);
    assert.equal(configPacketSize(packet), Buffer.byteLength(text));
    assert.equal(packet[0], CONFIG_MODIFIER);
    assert.equal(packet[2], Buffer.byteLength(text) >> 8);
  });

  it('refuses a config over 64 KiB and a header that is not a config push', () => {
    assert.throws(() => encodeConfigPacket('x'.repeat(70_000)), RangeError);
    assert.throws(() => configPacketSize(Buffer.from([0, 4, 0, 0])), /not an Emperor config packet/);
  });
});
