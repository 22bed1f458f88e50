// When a request starts, read once per event-loop turn: every request a turn parses was waiting
// in the socket buffers when the turn began, so they share its start time. In this VM a clock read
// on the request path cost ~1.3 µs of a worker's CPU (a request with harakiri, stats or the request
// log read the clock twice at its start: 0.94x a bare hello; without the reads, 0.99x, measured
// with bench/ops-overhead.mjs), far more than in a loop (~0.1 µs). So a request's elapsed time
// counts from the start of the turn that parsed it (longer by the turn's earlier requests at
// most). The end of a request is still read for each one. Wall-clock milliseconds come from the
// monotonic reading and an offset resynchronised each second, so a clock step shows within a
// second.

let perf = 0;
let wallMs = 0;
let valid = false;
let offset = Date.now() - performance.now();
let syncedAt = performance.now();

const expire = () => {
  valid = false;
};

function read(): void {
  perf = performance.now();
  if (perf - syncedAt >= 1000) {
    offset = Date.now() - perf;
    syncedAt = perf;
  }
  wallMs = Math.floor(perf + offset);
  valid = true;
  // the check phase of this turn: the next turn reads again
  setImmediate(expire);
}

/** performance.now() at the start of this event-loop turn's first request. */
export function turnStartPerf(): number {
  if (!valid) read();
  return perf;
}

/** The same instant in epoch microseconds (routing's start of a request, `${uwsgi[sor]}`). */
export function turnStartMicros(): number {
  if (!valid) read();
  return Math.floor((perf + offset) * 1000);
}

/** The same instant in epoch milliseconds (what Date.now() said, within a second of a clock step). */
export function turnStartMs(): number {
  if (!valid) read();
  return wallMs;
}
