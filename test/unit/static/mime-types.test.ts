// The mime dictionary: mime.types lines, the first definition of an extension winning, the
// extension of the last segment only, a lower-case retry, and the bundled table when no file reads.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BUNDLED_MIME_TYPES } from '../../../src/static/mime-defaults.js';
import { loadMimeTypes, mimeType, parseMimeTypes } from '../../../src/static/mime-types.js';

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-mime-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('mime.types lines: comments, tabs, several extensions, first definition wins', () => {
  const types = parseMimeTypes(
    '# c\ntext/x-lua\tlua\napplication/x-foo foo bar\n\ntext/other lua\n  \n',
    new Map(),
  );
  assert.equal(types.get('lua'), 'text/x-lua');
  assert.equal(types.get('bar'), 'application/x-foo');
  assert.equal(types.size, 3);
});

test('lookup: last segment extension, exact then lower case, nothing for no extension', () => {
  const types = new Map([
    ['css', 'text/css'],
    ['gz', 'application/gzip'],
  ]);
  assert.equal(mimeType(types, '/www/a.css'), 'text/css');
  assert.equal(mimeType(types, '/www/A.CSS'), 'text/css');
  assert.equal(mimeType(types, '/www/a.txt.gz'), 'application/gzip');
  assert.equal(mimeType(types, '/www.d/noext'), undefined);
  assert.equal(mimeType(types, '/www/dot.'), undefined);
  assert.equal(mimeType(types, '/www/a.unknown'), undefined);
});

test('files in order; an unreadable one is logged; none readable: the bundled table', () => {
  const a = join(dir, 'a.types');
  writeFileSync(a, 'text/a css\n');
  const logged: string[] = [];
  const types = loadMimeTypes([join(dir, 'missing.types'), a], (l) => logged.push(l));
  assert.equal(types.get('css'), 'text/a');
  assert.equal(logged.length, 1);
  assert.match(logged[0] ?? '', /missing\.types/);
  const fallback = loadMimeTypes([join(dir, 'nope')], () => {});
  assert.equal(fallback.get('css'), 'text/css');
  assert.equal(fallback.size, BUNDLED_MIME_TYPES.size);
});

test('the bundled table agrees with /etc/mime.types where both name an extension', (t) => {
  let etc: Map<string, string>;
  try {
    etc = loadMimeTypes(['/etc/mime.types'], () => {});
  } catch {
    t.skip('no /etc/mime.types');
    return;
  }
  if (etc.size === BUNDLED_MIME_TYPES.size) {
    t.skip('no /etc/mime.types');
    return;
  }
  for (const [ext, type] of BUNDLED_MIME_TYPES) {
    const there = etc.get(ext);
    if (there !== undefined) assert.equal(type, there, ext);
  }
});
