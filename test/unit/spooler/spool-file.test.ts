// The spool file codec (reference §8) against the bytes uWSGI 2.0.21 wrote
// (test/fixtures/spooler/uwsgi-2.0.21/), split at every byte where it matters, and the scan order.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeSpoolFile, encodeSpoolFile } from '../../../src/protocol/spool-file.js';
import { claimName, parseClaim } from '../../../src/spooler/spool-name.js';
import { scanSpool, versionCompare } from '../../../src/spooler/spool-scan.js';

const FIXTURES = new URL('../../fixtures/spooler/uwsgi-2.0.21/', import.meta.url);

test('the reference hexdump: {a: 1, body: BODYDATA}', () => {
  const bytes = encodeSpoolFile([['a', '1']], Buffer.from('BODYDATA'));
  assert.equal(bytes.toString('hex'), '11060000010061010031424f4459444154 41'.replace(' ', ''));
  const recorded = readFileSync(
    new URL('uwsgi_spoolfile_on_vm_19100_2_2093706475_1796383925_742521', FIXTURES),
  );
  assert.deepEqual(bytes, recorded);
  const back = decodeSpoolFile(recorded);
  assert.equal(back.vars.get('a')?.toString(), '1');
  assert.equal(back.body?.toString(), 'BODYDATA');
});

test('a file uWSGI wrote for a @spool-style task decodes, and encodes back to the same bytes', () => {
  const recorded = readFileSync(
    new URL('uwsgi_spoolfile_on_vm_19100_1_565579525_1796383925_707552', FIXTURES),
  );
  const file = decodeSpoolFile(recorded);
  assert.deepEqual(
    [...file.vars].map(([k, v]) => [k, v.toString()]),
    [
      ['ud_spool_func', 'send_email'],
      ['email_address', 'py@no.spam'],
    ],
  );
  assert.equal(file.body, undefined);
  assert.deepEqual(encodeSpoolFile(file.vars), recorded);
});

test('every truncation of a spool file is refused with a code, never misread', () => {
  const whole = encodeSpoolFile([
    ['k', 'v'],
    ['key2', 'value2'],
  ]);
  for (let cut = 0; cut < whole.length; cut++) {
    assert.throws(() => decodeSpoolFile(whole.subarray(0, cut)), { code: 'ERR_SPOOL_BAD_FILE' });
  }
  assert.throws(() => decodeSpoolFile(Buffer.from([0, 0, 0, 0])), { code: 'ERR_SPOOL_BAD_FILE' });
});

test('vars over 64 KiB are refused (use body)', () => {
  assert.throws(() => encodeSpoolFile([['big', 'x'.repeat(70_000)]]), { code: 'ERR_SPOOL_ARGS_TOO_BIG' });
  const big = Buffer.alloc(200_000, 1);
  assert.equal(decodeSpoolFile(encodeSpoolFile([['a', '1']], big)).body?.length, 200_000);
});

test('claims name their process; ordered scans enter numbered directories first (the manual example)', (t) => {
  const claim = claimName(123, 'uwsgi_spoolfile_on_h_1_2_3_4_5');
  assert.deepEqual(parseClaim(claim), { pid: 123, name: 'uwsgi_spoolfile_on_h_1_2_3_4_5' });
  assert.equal(parseClaim('uwsgi_spoolfile_on_x'), undefined);
  assert.ok(versionCompare('2', '10') < 0);
  assert.ok(versionCompare('task_9', 'task_10') < 0);
  const dir = mkdtempSync(join(tmpdir(), 'spool-scan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, '1'));
  mkdirSync(join(dir, '2'));
  for (const f of [
    'uwsgi_spoolfile_on_z',
    'uwsgi_spoolfile_on_x',
    '1/uwsgi_spoolfile_on_t1',
    '1/uwsgi_spoolfile_on_t0',
    '2/uwsgi_spoolfile_on_foo',
    'other',
  ])
    writeFileSync(join(dir, f), '');
  // a claim of a process that no longer exists is put back
  writeFileSync(join(dir, claimName(2 ** 22 + 7, 'uwsgi_spoolfile_on_y')), '');
  const { tasks } = scanSpool(dir, true);
  assert.deepEqual(
    tasks.map((e) => join(e.dir, e.name).slice(dir.length + 1)),
    [
      '1/uwsgi_spoolfile_on_t0',
      '1/uwsgi_spoolfile_on_t1',
      '2/uwsgi_spoolfile_on_foo',
      'uwsgi_spoolfile_on_x',
      'uwsgi_spoolfile_on_y',
      'uwsgi_spoolfile_on_z',
    ],
  );
});
