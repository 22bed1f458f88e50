// Fuzz the scgi socket: scgi requests mutated by a seeded generator (test/fuzz/), sent over
// many concurrent connections to the real CLI with 2 workers. Replay a failure with the printed
// FUZZ_SEED (and FUZZ_CASE for one case).
import { EXCHANGE_TODO, fuzzSuite } from './suite.js';

fuzzSuite('scgi', {
  cases: 10_000,
  concurrency: 64,
  // today: pipelined SCGI requests are all answered, and bytes after a whole request cost its
  // answer; a few pipelined connections get no answer at all (3 in 100,000: FUZZ_SEED=20261204
  // FUZZ_CASES=100000 FUZZ_CASE=23971)
  todo: {
    'pipelined copies of a valid request get at least the first answered': EXCHANGE_TODO,
    'a valid request followed by junk is answered': EXCHANGE_TODO,
    'no connection gets more app calls than its bytes justify': EXCHANGE_TODO,
  },
});
