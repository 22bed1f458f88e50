// Issue 17: the Emperor's master FIFO `E` and SIGWINCH rescan at once (emperor-freq set far away
// so that only they can start a vassal), and emperor-magic-exec: an executable vassal config is
// run and its output is the config (uWSGI 2.0.21: test/fixtures/emperor-magic-exec/), while a
// plain one without the executable bit is read as a file.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { emperorDir, startEmperor, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';

async function body(socketPath: string): Promise<string | undefined> {
  try {
    return (await httpGet({ socketPath }, '/', 3000)).body;
  } catch {
    return undefined;
  }
}

test('FIFO E and SIGWINCH rescan now; emperor-magic-exec runs an executable config', {
  timeout: 90_000,
}, async (t) => {
  const dir = emperorDir();
  const fifo = join(dir.root, 'emperor.fifo');
  const emperor = await startEmperor(dir, [
    '--emperor-freq',
    '600',
    '--master-fifo',
    fifo,
    '--emperor-magic-exec',
  ]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  // the first scan has run (empty dir); the next periodic one is 10 minutes away
  await new Promise((r) => setTimeout(r, 1500));
  dir.app('x', 'made by a script');
  const script = join(dir.vassals, 'x.ini');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'echo "[uwsgi]"',
      `echo "http-socket = ${dir.socket('x')}"`,
      `echo "app = ${join(dir.root, 'x.mjs')}"`,
      'echo "master = true"',
      'echo "processes = 1"',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(!/starting vassal x\.ini/.test(emperor.log()), 'no scan before E');
  writeFileSync(fifo, 'E');
  await emperor.waitFor(/\[emperor\] rescan requested \(master fifo E\)/, 5000);
  await until(
    async () => (await body(dir.socket('x'))) === 'made by a script',
    20_000,
    'the scripted vassal',
  );
  assert.match(emperor.log(), /getting INI configuration from exec:\/\/\S+x\.ini/);

  // a plain config (no x bit) under magic exec is a file; SIGWINCH finds it
  dir.app('y', 'plain file');
  dir.vassal('y');
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(!/starting vassal y\.ini/.test(emperor.log()), 'no scan before SIGWINCH');
  process.kill(emperor.pid, 'SIGWINCH');
  await until(async () => (await body(dir.socket('y'))) === 'plain file', 20_000, 'the plain vassal');
  assert.match(emperor.log(), /getting INI configuration from \S+vassals\/y\.ini/);

  // q on the FIFO stops the Emperor and its vassals
  writeFileSync(fifo, 'q');
  await until(() => emperor.proc.exitCode !== null, 40_000, 'the Emperor to stop');
  assert.match(emperor.log(), /The Emperor is buried\./);
  // reload-mercy unset: the Emperor gives its vassals 30 s, not 0 (no NO MERCY at once)
  assert.doesNotMatch(emperor.log(), /NO MERCY/);
});
