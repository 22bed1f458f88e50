// The master's log file: size-triggered rotation with uWSGI's names and lines, no backup ever
// overwritten within one second, reopening after logrotate moved the file.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { LogFile, parseUdpAddress } from '../../../src/logging/log-targets.js';

process.env['TZ'] = 'UTC';
const NOW = Date.UTC(2026, 10, 21, 10, 47, 34);

function dir(t: TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'uwsgi-ts-logfile-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('LogFile', () => {
  it('rotates past maxsize to <path>.<unix time>, with the logsize line last', (t) => {
    const d = dir(t);
    const path = join(d, 'app.log');
    const file = new LogFile(path, { maxSize: 100, now: () => NOW });
    t.after(() => file.close());
    file.write(`${'a'.repeat(60)}\n`);
    file.write(`${'b'.repeat(60)}\n`);
    file.write('c\n');
    const rotated = join(d, `app.log.${NOW / 1000}`);
    assert.equal(
      readFileSync(rotated, 'utf8'),
      `${'a'.repeat(60)}\n${'b'.repeat(60)}\nSat Nov 21 10:47:34 2026 - logsize: 122, triggering rotation to ${rotated}...\n`,
    );
    assert.equal(readFileSync(path, 'utf8'), 'c\n');
    assert.equal(statSync(path).mode & 0o777, 0o640 & ~process.umask());
  });

  it('never overwrites a backup of the same second (uWSGI would)', (t) => {
    const d = dir(t);
    const file = new LogFile(join(d, 'app.log'), { maxSize: 10, now: () => NOW });
    t.after(() => file.close());
    for (let i = 0; i < 3; i++) file.write(`line ${i} is long enough\n`);
    assert.deepEqual(readdirSync(d).sort(), [
      'app.log',
      `app.log.${NOW / 1000}`,
      `app.log.${NOW / 1000}.1`,
      `app.log.${NOW / 1000}.2`,
    ]);
    const all = readdirSync(d)
      .map((f) => readFileSync(join(d, f), 'utf8'))
      .join('');
    for (let i = 0; i < 3; i++) assert.match(all, new RegExp(`line ${i} is long enough`));
  });

  it('log-backupname names the rotated file', (t) => {
    const d = dir(t);
    const file = new LogFile(join(d, 'app.log'), {
      maxSize: 5,
      backupName: join(d, 'old.log'),
      now: () => NOW,
    });
    t.after(() => file.close());
    file.write('123456\n');
    assert.match(
      readFileSync(join(d, 'old.log'), 'utf8'),
      /^123456\n.* triggering rotation to .*old\.log\.\.\.\n$/,
    );
  });

  it('reopen: the old file gets the log-reopen line, the new one the reopened line', (t) => {
    const d = dir(t);
    const path = join(d, 'app.log');
    const file = new LogFile(path, { now: () => NOW });
    t.after(() => file.close());
    file.write('before\n');
    renameSync(path, join(d, 'moved.log'));
    file.reopen();
    file.write('after\n');
    assert.equal(
      readFileSync(join(d, 'moved.log'), 'utf8'),
      `before\n[${NOW / 1000}] logsize: 7, triggering log-reopen...\n`,
    );
    assert.equal(readFileSync(path, 'utf8'), `[${NOW / 1000}] ${path} reopened.\nafter\n`);
  });

  it('counts what the file already holds', (t) => {
    const d = dir(t);
    const path = join(d, 'app.log');
    const first = new LogFile(path);
    first.write('x'.repeat(50));
    first.close();
    const again = new LogFile(path, { maxSize: 60, now: () => NOW });
    t.after(() => again.close());
    again.write('y'.repeat(20));
    assert.equal(readdirSync(d).length, 2, 'rotated: 70 > 60');
  });
});

describe('UDP addresses', () => {
  it('host:port and [v6]:port', () => {
    assert.deepEqual(parseUdpAddress('127.0.0.1:514', 'x'), { host: '127.0.0.1', port: 514 });
    assert.deepEqual(parseUdpAddress('[::1]:514', 'x'), { host: '::1', port: 514 });
    assert.throws(() => parseUdpAddress(':514', 'x'));
    assert.throws(() => parseUdpAddress('h:0', 'x'));
  });
});
