// The one-byte emperor protocol (reference §6.3), both directions, byte by byte and in one chunk.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeFromVassal,
  decodeToVassal,
  encodeFromVassal,
  encodeToVassal,
  FROM_VASSAL,
  TO_VASSAL,
} from '../../../src/emperor/emperor-messages.js';

describe('emperor messages', () => {
  it("uses uWSGI 2.0's bytes", () => {
    assert.deepEqual(TO_VASSAL, { stop: 0, reload: 1, 'graceful-stop': 2 });
    assert.deepEqual(FROM_VASSAL, {
      spawned: 1,
      'config-request': 2,
      accepting: 5,
      loyal: 17,
      'voluntary-shutdown': 22,
      heartbeat: 26,
      sos: 30,
    });
  });

  it('decodes a chunk of several messages, skipping unknown bytes', () => {
    assert.deepEqual(decodeFromVassal(Buffer.from([1, 5, 99, 17, 26, 26])), [
      'spawned',
      'accepting',
      'loyal',
      'heartbeat',
      'heartbeat',
    ]);
    assert.deepEqual(decodeToVassal(Buffer.from([1, 7, 0, 2])), ['reload', 'stop', 'graceful-stop']);
  });

  it('round-trips every message, one byte each', () => {
    for (const name of Object.keys(FROM_VASSAL) as Array<keyof typeof FROM_VASSAL>) {
      const bytes = encodeFromVassal(name);
      assert.equal(bytes.length, 1);
      assert.deepEqual(decodeFromVassal(bytes), [name]);
    }
    for (const name of Object.keys(TO_VASSAL) as Array<keyof typeof TO_VASSAL>) {
      assert.deepEqual(decodeToVassal(encodeToVassal(name)), [name]);
    }
  });
});
