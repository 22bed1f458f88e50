// fd 6 of a Python process, the events channel (python/uwsgi_ts/events.py is the other half):
// signals go to the process (S, one byte) and come back done (G), run by the process's signal
// thread beside the request its main thread may be running; calls that may wait long
// (signal_wait, mule_get_msg) come as W (a 4-byte id, then the call as on fd 4) and are answered
// V (the id, then the tagged answer) whenever their promise settles, so fd 4 stays free for the
// process's quick calls meanwhile.

import type { Socket } from 'node:net';
import { answerError } from './python-answers.js';
import { decodeList, encodeFrame, FrameReader } from './python-frames.js';

export const EventFrame = {
  /** worker -> python: run the handler of a signal (payload: its number, one byte). */
  Signal: 0x53, // S
  /** python -> worker: the handler of the oldest signal sent returned (or raised). */
  SignalDone: 0x47, // G
  /** python -> worker: a waiting call (id, then the call list). */
  Wait: 0x57, // W
  /** worker -> python: a waiting call's answer (id, then the tagged answer). */
  WaitAnswer: 0x56, // V
} as const;

/** Answers a waiting call (items: op, args...); rejects or throws: an E answer. */
export type WaitAnswerer = (items: readonly Buffer[]) => Promise<Buffer>;

export class PythonEvents {
  /** Signals sent and not done yet, oldest first (the process runs them in order). */
  private readonly running: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly answer: WaitAnswerer,
  ) {
    socket.on('error', () => {});
    const reader = new FrameReader((kind, payload) => this.onFrame(kind, payload));
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  /** Signals the process is running or will run. */
  get pending(): number {
    return this.running.length;
  }

  /** Runs the process's handler of `num`; resolves when it returned (or the process is gone). */
  signal(num: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.running.push(resolve);
      this.socket.write(encodeFrame(EventFrame.Signal, Buffer.from([num])));
    });
  }

  /** The process is gone: its signals count as done. */
  close(): void {
    this.closed = true;
    for (const done of this.running.splice(0)) done();
  }

  private onFrame(kind: number, payload: Buffer): void {
    if (kind === EventFrame.SignalDone) {
      this.running.shift()?.();
      return;
    }
    if (kind !== EventFrame.Wait || payload.length < 4) return;
    const id = payload.subarray(0, 4);
    const reply = (answer: Buffer) => {
      if (!this.closed) this.socket.write(encodeFrame(EventFrame.WaitAnswer, Buffer.concat([id, answer])));
    };
    let answer: Promise<Buffer>;
    try {
      answer = this.answer(decodeList(payload.subarray(4)));
    } catch (err) {
      answer = Promise.resolve(answerError(err));
    }
    answer.then(reply, (err: unknown) => reply(answerError(err)));
  }
}
