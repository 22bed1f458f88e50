// The thread behind a worker's synchronous calls to the master's shared services (the IPC
// fallback, src/shared/remote-client.ts): the worker's main thread writes a call into shared
// memory and sleeps on it (Atomics.wait); this thread, whose event loop runs, sends it to the
// master's socket and writes the answer back.

import net from 'node:net';
import { workerData } from 'node:worker_threads';

const { path, buffer } = workerData as { path: string; buffer: SharedArrayBuffer };
const state = new Int32Array(buffer, 0, 2);
const bytes = new Uint8Array(buffer, 8);

const CALL = 1;
const ANSWER = 2;

const socket = net.connect(path);
let buffered = Buffer.alloc(0);
let answered: ((frame: Buffer) => void) | undefined;
socket.on('data', (chunk: Buffer) => {
  buffered = Buffer.concat([buffered, chunk]);
  if (buffered.length < 4) return;
  const length = buffered.readUInt32LE(0);
  if (buffered.length < 4 + length) return;
  const frame = buffered.subarray(4, 4 + length);
  buffered = buffered.subarray(4 + length);
  answered?.(frame);
});
socket.on('error', (err) => {
  process.stderr.write(`uwsgi-ts: lost the master's shared services (${err.message})\n`);
});

/** ES2024's Atomics.waitAsync (Node >= 16), which this TypeScript lib does not declare. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

async function until(value: number): Promise<void> {
  for (;;) {
    const now = Atomics.load(state, 0);
    if (now === value) return;
    const wait = waitAsync(state, 0, now);
    if (wait.async) await wait.value;
  }
}

async function whileIs(value: number): Promise<void> {
  for (;;) {
    const now = Atomics.load(state, 0);
    if (now !== value) return;
    const wait = waitAsync(state, 0, now);
    if (wait.async) await wait.value;
  }
}

for (;;) {
  await until(CALL);
  const length = Atomics.load(state, 1);
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32LE(length, 0);
  frame.set(bytes.subarray(0, length), 4);
  const answer = await new Promise<Buffer>((resolve) => {
    answered = resolve;
    socket.write(frame);
  });
  bytes.set(answer);
  Atomics.store(state, 1, answer.length);
  Atomics.store(state, 0, ANSWER);
  Atomics.notify(state, 0);
  // the main thread takes the answer (IDLE) and may write its next call (CALL) at once
  await whileIs(ANSWER);
}
