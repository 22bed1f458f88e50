// The static part of a worker's plan from a config: uWSGI's lookup order (static-map before
// static-map2), Expires families in order, the mime files (only when uWSGI would build the
// dictionary), file-serve-mode aliases, bad values refused with their option and origin; and
// every option the plan reads is a served row of the option table.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import type { ConfigHost } from '../../../src/config/loader.js';
import { findOption } from '../../../src/config/option-registry.js';
import { SERVED_OPTIONS } from '../../../src/config/served-options.js';
import { isUwsgiError } from '../../../src/errors.js';
import { NO_STATIC, STATIC_OPTIONS, staticPlan } from '../../../src/static/static-plan.js';

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-static-plan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function host(): ConfigHost {
  return {
    env: {},
    cwd: dir,
    magic: {
      cwd: dir,
      hostname: 'box',
      cores: 4,
      uid: 0,
      user: 'root',
      gid: 0,
      group: 'root',
      startMicros: 0n,
      version: '0.1.0',
      binary: '/bin/uwsgi-ts',
    },
    log: () => {},
    print: () => {},
    hasPlugin: () => true,
  };
}

function planOf(ini: string) {
  const path = join(dir, 'c.ini');
  writeFileSync(path, `[uwsgi]\n${ini}\n`);
  return staticPlan(loadConfig([path], host()).config);
}

test('no static option: no plan (the worker builds nothing)', () => {
  assert.equal(planOf('processes = 2'), undefined);
  assert.equal(planOf('offload-threads = 2'), undefined);
});

test('every option is read into the plan, in uWSGI order', () => {
  const plan = planOf(
    [
      'static-map2 = /b=/srv/b',
      'static-map = /a=/srv/a',
      'check-static = /var/www',
      'static-check = /var/www2',
      'check-static-docroot = true',
      'static-index = index.html',
      'static-skip-ext = .php',
      'static-safe = /private',
      'static-expires-uri = \\.css$ 100',
      'static-expires = \\.js 200',
      'static-expires-path-info-mtime = ^/x 300',
      'static-expires-type-mtime = text/plain=60',
      'static-expires-type = text/css=3600',
      'static-gzip-all = 1',
      'static-gzip-prefix = /var/www/gz/',
      'static-gzip-suffix = .css',
      'static-gzip = \\.svg$',
      'mime-file = /etc/my.types',
      'honour-range = 1',
      'fileserve-mode = nginx',
      'offload-threads = 4',
    ].join('\n'),
  );
  assert.ok(plan);
  assert.deepEqual(plan.checkStatic, ['/var/www', '/var/www2']);
  assert.equal(plan.checkDocroot, true);
  assert.deepEqual(plan.mounts, [
    { prefix: '/a', target: '/srv/a', appendUri: false },
    { prefix: '/b', target: '/srv/b', appendUri: true },
  ]);
  assert.deepEqual(plan.index, ['index.html']);
  assert.deepEqual(plan.skipExt, ['.php']);
  assert.deepEqual(plan.safe, ['/private']);
  assert.deepEqual(
    plan.expires.map((e) => [e.subject, e.regexp, e.seconds, e.fromMtime]),
    [
      ['filename', '\\.js', 200, false],
      ['path-info', '^/x', 300, true],
      ['uri', '\\.css$', 100, false],
    ],
  );
  assert.deepEqual(plan.typeExpires, [
    { type: 'text/css', seconds: 3600, fromMtime: false },
    { type: 'text/plain', seconds: 60, fromMtime: true },
  ]);
  assert.deepEqual(plan.gzip, {
    all: true,
    prefixes: ['/var/www/gz/'],
    suffixes: ['.css'],
    regexps: ['\\.svg$'],
  });
  assert.deepEqual(plan.mimeFiles, ['/etc/my.types']);
  assert.equal(plan.honourRange, true);
  assert.equal(plan.serveMode, 'x-accel-redirect');
  assert.equal(plan.offloadThreads, 4);
});

test('the mime dictionary: /etc/mime.types by default, none with honour-range alone', () => {
  assert.deepEqual(planOf('static-index = index.html')?.mimeFiles, ['/etc/mime.types']);
  assert.deepEqual(planOf('file-serve-mode = x-sendfile')?.serveMode, 'x-sendfile');
  const rangeOnly = planOf('honour-range = true');
  assert.ok(rangeOnly);
  assert.equal(rangeOnly.mimeFiles, undefined);
  assert.equal(rangeOnly.honourRange, true);
  assert.equal(planOf('check-static = /w\nfile-serve-mode = bogus')?.serveMode, 'direct');
});

test('bad values: ERR_CONFIG_BAD_VALUE naming the option, its value and its origin', () => {
  for (const line of [
    'static-expires = (x 10',
    'static-expires = nospace',
    'static-expires-mtime = x soon',
    'static-expires-type = text/css',
    'static-expires-type-mtime = text/css=-1',
    'static-map = /nomount',
    'static-map2 = =/x',
    'static-gzip = (?<x',
  ]) {
    const option = line.split(' = ')[0] as string;
    assert.throws(
      () => planOf(line),
      (err: unknown) =>
        isUwsgiError(err) &&
        err.code === 'ERR_CONFIG_BAD_VALUE' &&
        err.message.includes(`${option} = `) &&
        err.message.includes('c.ini:2'),
      line,
    );
  }
});

test('every option the plan reads is a row of the table and is served', () => {
  for (const name of STATIC_OPTIONS) {
    assert.ok(findOption(name), `${name} has a row`);
    assert.ok(SERVED_OPTIONS.has(name), `${name} is served`);
  }
  assert.equal(NO_STATIC.mimeFiles, undefined);
});
