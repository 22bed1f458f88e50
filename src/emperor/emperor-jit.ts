// The Emperor is a control process: it scans its monitors every few seconds and relays one-byte
// messages. V8's optimizing compilers (Maglev, TurboFan) buy it nothing and cost it resident
// memory: on Node 24 they page in their own code from the node binary and keep their compiled
// code and zones, 5-9 MB of the Emperor's RSS (issue 17's "Emperor RSS <= 60 MB" line, measured in
// bench/RESULTS.md "Emperor RSS"). They are switched off for the Emperor only, as early as the
// process knows it is one; the interpreter and the baseline compiler keep running its code.
// Vassals, masters and workers are other processes and keep every tier.

import { setFlagsFromString } from 'node:v8';

let done = false;

/** Stops V8 from optimizing this process's code any further (idempotent). */
export function emperorJitOff(): void {
  if (done) return;
  done = true;
  setFlagsFromString('--no-opt');
  setFlagsFromString('--no-maglev');
}

/** `--emperor` on the command line: this process is an Emperor before its config is read. */
export function emperorOnCommandLine(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--emperor' || a.startsWith('--emperor='));
}
