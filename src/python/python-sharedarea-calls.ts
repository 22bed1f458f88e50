// The `uwsgi` module's sharedarea calls from Python (python/uwsgi_ts/sharedarea.py) on the same
// areas the JS apps see (src/api/sharedarea.ts, `sharedarea = PAGES`). uWSGI 2.0.21's answers
// (test/fixtures/python/uwsgi-2.0.21-pysig.json): reads of 8/16/32/64 bits are signed, writes
// and inc/dec answer None, a position or length outside the area is a ValueError.

import { callRuntime } from '../api/runtime.js';
import { sharedarea } from '../api/sharedarea.js';
import { answerBytes, answerInt, answerList, bigArg, intArg, NONE } from './python-answers.js';
import type { Call } from './python-api.js';

type Width = 8 | 16 | 32 | 64;

const area = (id: Buffer | undefined) => sharedarea(intArg(id, 0));

/** A signed value, as uWSGI's sharedarea_readN answers. */
const signed = (bits: Width, value: number | bigint): bigint => BigInt.asIntN(bits, BigInt(value));

function readInt(bits: Width): Call {
  return ([id, pos]) => answerInt(signed(bits, area(id).readInt(bits, intArg(pos, 0))));
}

function writeInt(bits: Width): Call {
  return ([id, pos, value]) => {
    const v = bigArg(value, 0n);
    area(id).writeInt(bits, intArg(pos, 0), bits === 64 ? v : Number(BigInt.asIntN(bits, v)));
    return NONE;
  };
}

function add(bits: Width, sign: 1 | -1): Call {
  return ([id, pos, amount]) => {
    const by = bigArg(amount, 1n) * BigInt(sign);
    area(id).inc(bits, intArg(pos, 0), bits === 64 ? by : Number(by));
    return NONE;
  };
}

export const SHAREDAREA_CALLS: Readonly<Record<string, Call>> = {
  // length 0 or left out: to the end of the area
  sharedarea_read: ([id, pos, length]) => {
    const a = area(id);
    const at = intArg(pos, 0);
    const n = intArg(length, 0);
    return answerBytes(a.read(at, n > 0 ? n : a.size - at));
  },
  sharedarea_write: ([id, pos, data]) => {
    area(id).write(intArg(pos, 0), data ?? Buffer.alloc(0));
    return NONE;
  },
  sharedarea_readbyte: ([id, pos]) => answerInt(area(id).readInt(8, intArg(pos, 0))),
  sharedarea_writebyte: ([id, pos, value]) => {
    area(id).writeInt(8, intArg(pos, 0), intArg(value, 0) & 0xff);
    return NONE;
  },
  sharedarea_read8: readInt(8),
  sharedarea_read16: readInt(16),
  sharedarea_read32: readInt(32),
  sharedarea_read64: readInt(64),
  sharedarea_write8: writeInt(8),
  sharedarea_write16: writeInt(16),
  sharedarea_write32: writeInt(32),
  sharedarea_write64: writeInt(64),
  sharedarea_inc32: add(32, 1),
  sharedarea_inc64: add(64, 1),
  sharedarea_dec32: add(32, -1),
  sharedarea_dec64: add(64, -1),
  sharedarea_size: ([id]) => answerInt(area(id).size),
  // sharedarea_memoryview: the Python process maps the bytes itself, through this worker's fd of
  // the region's memfd (/proc/PID/fd/N); its writes skip the area's lock, as uWSGI's memoryview does
  sharedarea_map: ([id]) => {
    const where = callRuntime('sharedarea', intArg(id, 0)).mapping?.();
    if (where === undefined)
      throw new Error('the shared region is private here (the native addon is missing)');
    return answerList(
      [`/proc/${process.pid}/fd/${where.fd}`, String(where.offset), String(where.size)].map((s) =>
        Buffer.from(s, 'utf8'),
      ),
    );
  },
};
