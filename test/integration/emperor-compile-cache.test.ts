// Issue 17 (50 vassals fast): the Emperor gives its vassals a compile cache dir of its own
// (NODE_COMPILE_CACHE, Node 22.1+), 0700 under TMPDIR; the vassal's master and worker use it, and
// what they compiled is there once they stopped, so a restarted Emperor starts its vassals warm.
// An operator's own NODE_COMPILE_CACHE is left as it is. Node 20 has no compile cache: the log says so.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { emperorDir, startEmperor, until } from '../helpers/emperor.js';
import { httpGet } from '../helpers/http.js';

const hasCompileCache = (() => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 1);
})();

/** A vassal app answering the NODE_COMPILE_CACHE its worker got ('none' without). */
const ENV_APP = "export default () => new Response(process.env.NODE_COMPILE_CACHE ?? 'none');\n";

async function body(socketPath: string): Promise<string | undefined> {
  try {
    return (await httpGet({ socketPath }, '/', 3000)).body;
  } catch {
    return undefined;
  }
}

/** The first answer of the vassal on `socketPath`, waiting up to 15 s for it to serve. */
async function served(socketPath: string): Promise<string> {
  let got: string | undefined;
  await until(
    async () => {
      got = await body(socketPath);
      return got !== undefined;
    },
    15_000,
    `${socketPath} to serve`,
  );
  return got as string;
}

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

test("the Emperor's vassals share its compile cache dir, 0700, filled once they stop", {
  timeout: 60_000,
}, async (t) => {
  const dir = emperorDir();
  t.after(() => dir.cleanup());
  writeFileSync(join(dir.root, 'a.mjs'), ENV_APP);
  const emperor = await startEmperor(dir, [], { TMPDIR: dir.root });
  t.after(() => emperor.close());
  dir.vassal('a');
  const got = await served(dir.socket('a'));
  if (!hasCompileCache) {
    assert.equal(got, 'none');
    assert.match(emperor.log(), /\[emperor\] vassals' compile cache: none \(this Node has no compile cache/);
    return;
  }
  assert.ok(got.startsWith(join(dir.root, 'uwsgi-ts-compile-cache-')), got);
  assert.match(emperor.log(), new RegExp(`\\[emperor\\] vassals' compile cache: ${got}`));
  const st = statSync(got);
  assert.equal(st.mode & 0o777, 0o700);
  // the vassal's processes write what they compiled when they exit
  rmSync(join(dir.vassals, 'a.ini'));
  await until(() => !existsSync(dir.socket('a')), 15_000, 'a.ini to stop');
  await until(() => files(got).length > 0, 10_000, 'the cache to be written');
});

test("an operator's NODE_COMPILE_CACHE reaches the vassals unchanged", { timeout: 60_000 }, async (t) => {
  const dir = emperorDir();
  t.after(() => dir.cleanup());
  writeFileSync(join(dir.root, 'a.mjs'), ENV_APP);
  const mine = join(dir.root, 'my-cache');
  const emperor = await startEmperor(dir, [], { TMPDIR: dir.root, NODE_COMPILE_CACHE: mine });
  t.after(() => emperor.close());
  dir.vassal('a');
  const got = await served(dir.socket('a'));
  assert.equal(got, mine);
  if (hasCompileCache)
    assert.match(emperor.log(), /vassals' compile cache: none \(NODE_COMPILE_CACHE is set\)/);
});
