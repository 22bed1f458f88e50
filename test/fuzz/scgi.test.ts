// Fuzz the scgi socket: scgi requests mutated by a seeded generator (test/fuzz/), sent over
// many concurrent connections to the real CLI with 2 workers. Replay a failure with the printed
// FUZZ_SEED (and FUZZ_CASE for one case).
import { EXCHANGE_TODO, fuzzSuite } from './suite.js';

fuzzSuite('scgi', {
  cases: 10_000,
  concurrency: 64,
  // today: pipelined SCGI requests are all answered, and bytes after a whole request cost its answer
  todo: {
    'a valid request followed by junk is answered': EXCHANGE_TODO,
    'no connection gets more app calls than its bytes justify': EXCHANGE_TODO,
  },
});
