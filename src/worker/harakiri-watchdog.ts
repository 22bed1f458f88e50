// The blocked-loop half of harakiri without a message per request: the worker's main thread
// writes the request it starts into shared memory (~0.1 µs) and a small thread watches it; only
// when the main loop has not turned for BLOCKED_MS does the thread tell the master which request
// blocks it, over a pipe of its own (fd WATCHDOG_FD, given at fork), so that the master's HARAKIRI
// lines name it (reference §10). A `{t:'req'}` IPC message per request cost the worker ~25% of its
// time in the write syscall and the master ~25 µs of CPU per request (bench/ops-overhead.mjs).

import { fstatSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** The worker's end of the watchdog pipe (spawn stdio index 5: src/logging/worker-output.ts). */
export const WATCHDOG_FD = 5;

/**
 * The main loop turns at least this often: a timer beats at this period when no request starts
 * (src/worker/harakiri.ts). The master's kill needs a report before it decides (limit >= 1 s).
 */
export const BEAT_MS = 250;
/** No beat for this long: the loop is blocked and the thread reports (once per blockage). */
const BLOCKED_MS = 350;
const POLL_MS = 100;

// The board: Int32 slots, then the start and beat times (Float64), then the text fields. The
// request is written under a sequence lock (odd while writing) so that the thread never reads a
// request half written; a blocked loop is never in the middle of a write.
const I_STOP = 0;
const I_SEQ = 1;
const I_METHOD_LEN = 2;
const I_ADDR_LEN = 3;
const I_URI_LEN = 4;
const F_START = 4; // Float64 index: byte 32
const F_BEAT = 5; // byte 40
const METHOD_AT = 64;
const METHOD_MAX = 64;
const ADDR_AT = METHOD_AT + METHOD_MAX;
const ADDR_MAX = 128;
const URI_AT = ADDR_AT + ADDR_MAX;
/** Longer URIs are reported cut (the request head is bounded by buffer-size, at most 64 KB). */
const URI_MAX = 128 * 1024;
const BOARD_BYTES = URI_AT + URI_MAX;
/** URIs up to this long are copied by hand when ASCII (writeUri). */
const SHORT_URI = 128;

// The thread's program, plain JS run with `eval: true` (it must not depend on how the worker's own
// modules are loaded: compiled, or through tsx in tests). It sleeps in Atomics.wait, so it costs
// nothing between polls and needs no event loop of its own. A report is the `req` WorkerMessage
// (src/ipc/messages.ts) as one JSON line, with how long the loop had not turned (`blockedMs`).
const THREAD = `
'use strict';
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { board, fd, blockedMs, pollMs } = workerData;
const i32 = new Int32Array(board, 0, 8);
const f64 = new Float64Array(board, 0, 8);
const bytes = new Uint8Array(board);
const decoder = new TextDecoder();
const text = (at, len) => decoder.decode(bytes.slice(at, at + len));
let reportedFor = -1;
while (Atomics.load(i32, ${I_STOP}) === 0) {
  Atomics.wait(i32, ${I_STOP}, 0, pollMs);
  const beat = f64[${F_BEAT}];
  const now = Date.now();
  if (beat === reportedFor || now - beat < blockedMs) continue;
  reportedFor = beat;
  const seq = Atomics.load(i32, ${I_SEQ});
  if (seq === 0 || (seq & 1) === 1) continue;
  const report = {
    t: 'req',
    method: text(${METHOD_AT}, i32[${I_METHOD_LEN}]),
    uri: text(${URI_AT}, i32[${I_URI_LEN}]),
    addr: text(${ADDR_AT}, i32[${I_ADDR_LEN}]),
    since: Math.floor(f64[${F_START}] / 1000),
    blockedMs: now - beat,
  };
  if (Atomics.load(i32, ${I_SEQ}) !== seq) continue;
  try {
    writeSync(fd, JSON.stringify(report) + '\\n');
  } catch {
    // the master is gone
  }
}
`;

/** Whether `fd` is open and a pipe or socket (the master gave the worker a watchdog channel). */
export function isChannel(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

export class HarakiriWatchdog {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly method: Uint8Array;
  private readonly addr: Uint8Array;
  private readonly uri: Uint8Array;
  private readonly encoder = new TextEncoder();
  private readonly thread: Worker;
  /** What the board holds now: a keep-alive connection repeats its address and usually its method. */
  private lastMethod = '';
  private lastAddr = '';

  /** Starts the thread; it reports to `fd` (a pipe the master reads, or a file in tests). */
  constructor(fd: number, options: { readonly blockedMs?: number; readonly pollMs?: number } = {}) {
    const board = new SharedArrayBuffer(BOARD_BYTES);
    this.i32 = new Int32Array(board, 0, 8);
    this.f64 = new Float64Array(board, 0, 8);
    this.method = new Uint8Array(board, METHOD_AT, METHOD_MAX);
    this.addr = new Uint8Array(board, ADDR_AT, ADDR_MAX);
    this.uri = new Uint8Array(board, URI_AT, URI_MAX);
    this.f64[F_BEAT] = Date.now();
    this.thread = new Worker(THREAD, {
      eval: true,
      workerData: {
        board,
        fd,
        blockedMs: options.blockedMs ?? BLOCKED_MS,
        pollMs: options.pollMs ?? POLL_MS,
      },
      // a few MB: the thread only decodes three strings and writes one line
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
      stdout: false,
      stderr: false,
    });
    // never keeps the worker alive; an error in the thread only loses the reports
    this.thread.unref();
    this.thread.on('error', () => {});
  }

  /** The request the main loop is starting: what a report names if the loop then blocks. */
  request(method: string, uri: string, addr: string, startMs: number): void {
    const { i32, f64 } = this;
    Atomics.add(i32, I_SEQ, 1);
    if (method !== this.lastMethod) {
      i32[I_METHOD_LEN] = this.encoder.encodeInto(method, this.method).written;
      this.lastMethod = method;
    }
    if (addr !== this.lastAddr) {
      i32[I_ADDR_LEN] = this.encoder.encodeInto(addr, this.addr).written;
      this.lastAddr = addr;
    }
    i32[I_URI_LEN] = this.writeUri(uri);
    f64[F_START] = startMs;
    f64[F_BEAT] = startMs;
    Atomics.add(i32, I_SEQ, 1);
  }

  /**
   * A short ASCII URI byte by byte: TextEncoder.encodeInto costs a call into the runtime (~0.1 µs,
   * measured), more than copying the usual few bytes; anything else goes through it.
   */
  private writeUri(uri: string): number {
    const out = this.uri;
    if (uri.length <= SHORT_URI) {
      let i = 0;
      for (; i < uri.length; i++) {
        const c = uri.charCodeAt(i);
        if (c >= 0x80) break;
        out[i] = c;
      }
      if (i === uri.length) return i;
    }
    return this.encoder.encodeInto(uri, out).written;
  }

  /** The loop turned (a timer every BEAT_MS). */
  beat(): void {
    this.f64[F_BEAT] = Date.now();
  }

  close(): void {
    Atomics.store(this.i32, I_STOP, 1);
    Atomics.notify(this.i32, I_STOP);
  }
}
