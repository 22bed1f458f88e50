// Fuzz the fastcgi socket: fastcgi requests mutated by a seeded generator (test/fuzz/), sent over
// many concurrent connections to the real CLI with 2 workers. Replay a failure with the printed
// FUZZ_SEED (and FUZZ_CASE for one case).
import { EXCHANGE_TODO, fuzzSuite } from './suite.js';

fuzzSuite('fastcgi', {
  cases: 10_000,
  concurrency: 64,
  // today: a second request is answered on a connection whose BEGIN_REQUEST did not ask to keep
  // it, and bytes after a whole request cost its answer; with 4 pipelined copies of a 29 KB POST
  // and 32 connections at once, 3-6% of the connections get no answer at all and no log line
  // (FUZZ_SEED=12 FUZZ_CASES=10000 FUZZ_CASE=7677), the pipelining the exchange work removes
  todo: {
    'pipelined copies of a valid request get at least the first answered': EXCHANGE_TODO,
    'a valid request followed by junk is answered': EXCHANGE_TODO,
    'no connection gets more app calls than its bytes justify': EXCHANGE_TODO,
  },
});
