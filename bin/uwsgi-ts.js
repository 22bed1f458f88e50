#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm install` through `prepare`).
import { setFlagsFromString } from 'node:v8';

// An Emperor (`--emperor` on the command line) runs without V8's optimizing compilers, from before
// its modules load: they cost it memory and buy it nothing (src/emperor/emperor-jit.ts)
if (process.argv.slice(2).some((a) => a === '--emperor' || a.startsWith('--emperor='))) {
  setFlagsFromString('--no-opt');
  setFlagsFromString('--no-maglev');
}
const { main } = await import('../dist/cli/main.js');

// `uwsgi-ts --help | head` closes the pipe early: that is not an error
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`uwsgi-ts: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
