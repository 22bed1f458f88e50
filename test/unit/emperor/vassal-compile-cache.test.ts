// The compile cache dir an Emperor gives its vassals (src/emperor/vassal-compile-cache.ts): made
// 0700 for its own uid, the same for the same monitors (a restarted Emperor finds it again), and
// not given under tyrant mode, when the operator set NODE_COMPILE_CACHE or disabled the cache, or
// when the dir is not a private dir of this uid.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { emperorCompileCacheDir } from '../../../src/emperor/vassal-compile-cache.js';
import { hasCompileCache } from '../../../src/os/compile-cache.js';

const root = mkdtempSync(join(tmpdir(), 'uwsgi-ts-vassal-compile-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));
// os.tmpdir() reads TMPDIR on every call: the dirs go under this test's root
const env = { TMPDIR: root };

function withTmpdir<T>(fn: () => T): T {
  const before = process.env['TMPDIR'];
  process.env['TMPDIR'] = root;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
  }
}

describe('the vassals compile cache dir', () => {
  it('is a 0700 dir of this uid, the same for the same monitors, another for others', {
    skip: !hasCompileCache() && 'Node < 22.1',
  }, () => {
    const a = withTmpdir(() => emperorCompileCacheDir(['/srv/vassals'], env, false));
    assert.ok('dir' in a, JSON.stringify(a));
    assert.ok(a.dir.startsWith(join(root, 'uwsgi-ts-compile-cache-')));
    const st = statSync(a.dir);
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(st.uid, process.getuid?.());
    const again = withTmpdir(() => emperorCompileCacheDir(['/srv/vassals'], env, false));
    assert.deepEqual(again, a);
    const other = withTmpdir(() => emperorCompileCacheDir(['/srv/other'], env, false));
    assert.ok('dir' in other && other.dir !== a.dir);
  });

  it('is not given under tyrant mode, nor over the operator own setting', () => {
    const reason = (r: { dir: string } | { reason: string }) => ('reason' in r ? r.reason : `dir ${r.dir}`);
    if (!hasCompileCache()) {
      assert.match(reason(emperorCompileCacheDir(['/x'], env, false)), /no compile cache/);
      return;
    }
    assert.match(reason(withTmpdir(() => emperorCompileCacheDir(['/x'], env, true))), /tyrant mode/);
    assert.match(
      reason(
        withTmpdir(() => emperorCompileCacheDir(['/x'], { ...env, NODE_COMPILE_CACHE: '/mine' }, false)),
      ),
      /NODE_COMPILE_CACHE is set/,
    );
    assert.match(
      reason(
        withTmpdir(() => emperorCompileCacheDir(['/x'], { ...env, NODE_DISABLE_COMPILE_CACHE: '1' }, false)),
      ),
      /NODE_DISABLE_COMPILE_CACHE/,
    );
  });

  it('is not used when someone made it open to others, or made it a file', {
    skip: !hasCompileCache() && 'Node < 22.1',
  }, () => {
    const first = withTmpdir(() => emperorCompileCacheDir(['/open'], env, false));
    assert.ok('dir' in first);
    chmodSync(first.dir, 0o777);
    const open = withTmpdir(() => emperorCompileCacheDir(['/open'], env, false));
    assert.ok('reason' in open && /open to other users/.test(open.reason), JSON.stringify(open));
    const file = withTmpdir(() => emperorCompileCacheDir(['/file'], env, false));
    assert.ok('dir' in file);
    rmSync(file.dir, { recursive: true });
    writeFileSync(file.dir, '');
    const notDir = withTmpdir(() => emperorCompileCacheDir(['/file'], env, false));
    assert.ok('reason' in notDir && /not a directory/.test(notDir.reason), JSON.stringify(notDir));
  });
});
