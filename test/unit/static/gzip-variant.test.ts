// Which files may have a .gz twin (static-gzip*, matched on the real path) and which
// Accept-Encoding values take gzip (tokens and q-values, not 2.0.21's substring search).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptsGzip, GzipVariants } from '../../../src/static/gzip-variant.js';

test('Accept-Encoding: gzip, x-gzip or * with q > 0; an explicit q=0 refuses', () => {
  for (const h of [
    'gzip',
    'GZIP',
    'deflate, gzip',
    'br;q=1.0, gzip;q=0.5',
    'x-gzip',
    '*',
    'gzip; q=1',
    '*;q=0.1',
  ]) {
    assert.equal(acceptsGzip(h), true, h);
  }
  for (const h of [
    undefined,
    '',
    'deflate',
    'br',
    'gzip;q=0',
    'gzip;q=0.0',
    '*;q=0',
    'xgzipx',
    'gzip;q=0, *',
  ]) {
    assert.equal(acceptsGzip(h), false, String(h));
  }
});

test('static-gzip-all, -dir (prefix), -ext (suffix) and static-gzip (regexp) on the real path', () => {
  const none = new GzipVariants({ all: false, prefixes: [], suffixes: [], regexps: [] });
  assert.equal(none.empty, true);
  assert.equal(none.eligible('/www/a.css'), false);
  const all = new GzipVariants({ all: true, prefixes: [], suffixes: [], regexps: [] });
  assert.equal(all.eligible('/anything'), true);
  const rules = new GzipVariants({
    all: false,
    prefixes: ['/www/gzd/'],
    suffixes: ['.js'],
    regexps: ['/gz\\.t'],
  });
  assert.equal(rules.empty, false);
  assert.equal(rules.eligible('/www/gzd/a.txt'), true);
  assert.equal(rules.eligible('/www/app.js'), true);
  assert.equal(rules.eligible('/www/gz.txt'), true);
  assert.equal(rules.eligible('/www/style.css'), false);
  assert.equal(rules.eligible('/www/app.json'), false);
});
