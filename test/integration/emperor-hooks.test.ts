// The Emperor's hooks against the real CLI (uWSGI 2.0.21's lines and order:
// test/fixtures/emperor-hooks/, recorded by scripts/record-uwsgi-emperor-hooks.sh): emperor-start
// once the Emperor is up; vassals-start-hook, then as-vassal in the vassal's own process (its
// putenv and cd are the vassal's, not the Emperor's); as-emperor in the Emperor with the vassal's
// name and pid; emperor-reload / emperor-stop in the vassal when its Emperor asks;
// vassals-stop-hook after the vassal died; emperor-lost when the link to the Emperor breaks.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { alive, emperorDir, startEmperor, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';

const FIXTURE = readFileSync(
  join(REPO, 'test/fixtures/emperor-hooks/uwsgi-2.0.21-emperor-hooks.txt'),
  'utf8',
);

function touch(path: string): void {
  const t = new Date(Date.now() + 1000);
  utimesSync(path, t, t);
}

async function body(socketPath: string): Promise<string | undefined> {
  try {
    return (await httpGet({ socketPath }, '/', 3000)).body;
  } catch {
    return undefined;
  }
}

/** The hook labels of `running "..." (LABEL)...` lines, in order. */
function labels(log: string): string[] {
  return [...log.matchAll(/^running "[^"]*" \(([^)]+)\)\s?\.\.\.$/gm)].map((m) =>
    (m[1] as string).replace(/ for vassal .*/, ''),
  );
}

test('emperor-start, vassals-start-hook, as-vassal (the vassal own env and cwd), as-emperor, emperor-reload/-stop, vassals-stop-hook', {
  timeout: 90_000,
}, async (t) => {
  const dir = emperorDir();
  const seen = join(dir.root, 'seen.txt');
  const hook = join(dir.root, 'hook.sh');
  writeFileSync(
    hook,
    `#!/bin/sh\necho "HOOK args=[$*] cwd=$(pwd) UWSGI_VASSALS_DIR=$UWSGI_VASSALS_DIR" >> ${seen}\n`,
  );
  chmodSync(hook, 0o755);
  const emperor = await startEmperor(dir, [
    '--hook-emperor-start',
    'print:ESTART',
    '--hook-as-vassal',
    'putenv:HOOKED=by-as-vassal',
    '--hook-as-vassal',
    `cd:${dir.vassals}`,
    '--exec-as-vassal',
    `echo "ASVX HOOKED=$HOOKED" >> ${seen}`,
    '--hook-as-emperor',
    'print:ASE',
    '--exec-as-emperor',
    `echo "ASEX $UWSGI_VASSAL_CONFIG $UWSGI_VASSAL_PID HOOKED=$HOOKED" >> ${seen}`,
    '--vassals-start-hook',
    hook,
    '--vassals-stop-hook',
    hook,
  ]);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  await emperor.waitFor(/^ESTART$/m, 10_000);
  // the app shows what as-vassal did to its process
  writeFileSync(
    join(dir.root, 'a.mjs'),
    // the app's own text, not a template of this test
    "export default () => new Response((process.env.HOOKED ?? '-') + ' ' + process.cwd());\n",
  );
  const ini = dir.vassal(
    'a',
    ['hook-emperor-reload = print:VRELOAD', 'hook-emperor-stop = print:VSTOP'].join('\n'),
  );
  await until(async () => (await body(dir.socket('a'))) !== undefined, 15_000, 'a.ini to serve');
  assert.equal(await body(dir.socket('a')), `by-as-vassal ${dir.vassals}`);
  const log = () => emperor.log();
  // the start hook: the vassal's name as its argument, run in the vassals dir
  await until(() => /ASEX a\.ini/.test(readFileSync(seen, 'utf8')), 10_000, 'the as-emperor command');
  const lines = readFileSync(seen, 'utf8');
  assert.match(
    lines,
    new RegExp(`HOOK args=\\[a\\.ini\\] cwd=${dir.vassals} UWSGI_VASSALS_DIR=${dir.vassals}`),
  );
  assert.match(lines, /ASVX HOOKED=by-as-vassal/);
  // as-emperor runs in the Emperor: the vassal's putenv is not in its env, the vassal's pid is
  const pid = Number(/ASEX a\.ini (\d+) HOOKED=\n/.exec(lines)?.[1]);
  assert.ok(pid > 0 && alive(pid), `as-emperor got the vassal's pid (${lines})`);
  assert.match(log(), /\[emperor\] running vassal start-hook: \S+hook\.sh a\.ini/);
  assert.match(log(), /\[emperor\] a\.ini start-hook returned 0/);
  assert.match(
    log(),
    new RegExp(
      `running "echo .*" \\(as-emperor for vassal "a\\.ini" pid: ${pid} uid: \\d+ gid: \\d+\\)\\.\\.\\.`,
    ),
  );
  assert.match(log(), /command "echo .*" exited with code: 0/);

  touch(ini);
  await until(() => /^VRELOAD$/m.test(log()), 15_000, 'emperor-reload in the vassal');
  assert.match(
    log(),
    /received message 1 from emperor\n(.*\n)*running "print:VRELOAD" \(emperor-reload\)\.\.\./,
  );
  rmSync(ini);
  await until(() => /^VSTOP$/m.test(log()), 15_000, 'emperor-stop in the vassal');
  await until(() => /a\.ini stop-hook returned 0/.test(log()), 15_000, 'the stop hook');
  assert.match(log(), /\[emperor\] running vassal stop-hook: \S+hook\.sh a\.ini/);
  assert.equal(readFileSync(seen, 'utf8').match(/HOOK args=\[a\.ini\]/g)?.length, 2);

  // the labels come in uWSGI 2.0.21's order (as-emperor and as-vassal race in both: the Emperor
  // runs as-emperor while the vassal starts, so only each side's own order is compared)
  const ours = labels(log());
  const theirs = labels(FIXTURE);
  const side = (l: string[], set: string[]) => l.filter((x) => set.includes(x));
  for (const set of [
    ['emperor-start', 'as-emperor'],
    ['as-vassal', 'emperor-reload', 'emperor-stop'],
  ]) {
    const mine = [...new Set(side(ours, set))];
    assert.deepEqual(mine, [...new Set(side(theirs, set))], `order of ${set.join(', ')}`);
  }
});

test('emperor-lost runs in a vassal whose Emperor is gone; a failing as-vassal hook gets the vassal throttled; a failing emperor-start ends the Emperor (exit 1)', {
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  const lost = join(dir.root, 'lost.txt');
  const emperor = await startEmperor(dir);
  t.after(async () => {
    await emperor.close();
    dir.cleanup();
  });
  dir.app('a', 'A');
  dir.vassal('a', `hook-emperor-lost = appendn:${lost} lost`);
  await until(async () => (await body(dir.socket('a'))) === 'A', 15_000, 'a.ini to serve');
  process.kill(emperor.pid, 'SIGKILL');
  await until(() => existsSync(lost), 15_000, 'emperor-lost to run');
  assert.equal(readFileSync(lost, 'utf8'), 'lost\n');
  await until(async () => (await body(dir.socket('a'))) === undefined, 15_000, 'the vassal to stop');

  // a failing as-vassal hook: that vassal dies young (exit 1) and is throttled like any other
  const failingVassal = await startEmperor(dir, ['--hook-as-vassal', 'exec:exit 4']);
  t.after(() => failingVassal.close());
  await failingVassal.waitFor(/unloyal bad behaving vassal found: a\.ini throttling it/, 20_000);
  assert.match(failingVassal.log(), /running "exec:exit 4" \(as-vassal\)\.\.\.\n/);
  assert.match(
    failingVassal.log(),
    /FATAL hook failed, destroying instance\n(.*\n)*\[emperor\] curse the uwsgi instance a\.ini \(pid: \d+\), exit code 1/,
  );
  await failingVassal.close();

  const failing = await startEmperor(dir, ['--hook-emperor-start', 'exec:exit 3']);
  t.after(() => failing.close());
  const [code] = failing.proc.exitCode !== null ? [failing.proc.exitCode] : await once(failing.proc, 'exit');
  assert.equal(code, 1);
  assert.match(failing.log(), /running "exec:exit 3" \(emperor-start\)\.\.\./);
  assert.match(failing.log(), /FATAL hook failed, destroying instance/);
});
