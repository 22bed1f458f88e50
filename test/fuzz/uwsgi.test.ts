// Fuzz the uwsgi socket: uwsgi requests mutated by a seeded generator (test/fuzz/), sent over
// many concurrent connections to the real CLI with 2 workers. Replay a failure with the printed
// FUZZ_SEED (and FUZZ_CASE for one case).
import { EXCHANGE_TODO, fuzzSuite } from './suite.js';

fuzzSuite('uwsgi', {
  cases: 10_000,
  concurrency: 64,
  // today: empty packets (4 zero bytes) are served as `GET /` and a connection is read as a stream
  // of requests (one app call per pipelined copy or zero run), and bytes after a whole request reset
  // the connection before its answer; a few pipelined connections get no answer at all (2 in
  // 100,000: FUZZ_SEED=20261204 FUZZ_CASES=100000 FUZZ_CASE=23123)
  todo: {
    'pipelined copies of a valid request get at least the first answered': EXCHANGE_TODO,
    'a valid request followed by junk is answered': EXCHANGE_TODO,
    'no connection gets more app calls than its bytes justify': EXCHANGE_TODO,
    'the app is called no more often than the cases justify': EXCHANGE_TODO,
    'log volume is bounded': EXCHANGE_TODO,
  },
});
