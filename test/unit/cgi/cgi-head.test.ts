// The CGI header-block codec (src/cgi/cgi-head.ts), the mount and segment rules of the resolver
// and the option parsers (src/cgi/cgi-plan.ts): bytes in, decisions out, no process spawned.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CgiHeadParser, type CgiHeadResult } from '../../../src/cgi/cgi-head.js';
import { parseCgiHelper, parseCgiMount } from '../../../src/cgi/cgi-plan.js';
import { pickMount, segmentsOf } from '../../../src/cgi/cgi-resolve.js';

function parse(...chunks: string[]) {
  const p = new CgiHeadParser(65536);
  let last = { state: 'more' } as CgiHeadResult;
  for (const c of chunks) {
    const bytes = Buffer.from(c, 'latin1');
    // after the head, what follows is body: the handler stops feeding the parser
    const done: CgiHeadResult = last;
    if (done.state === 'done')
      last = { state: 'done', head: done.head, rest: Buffer.concat([done.rest, bytes]) };
    else last = p.push(bytes);
  }
  return last;
}

test('no Status: 200; Status sets code and reason; Location alone is a 302', () => {
  const plain = parse('Content-Type: text/plain\n\nbody');
  assert.equal(plain.state, 'done');
  if (plain.state !== 'done') return;
  assert.equal(plain.head.status, 200);
  assert.deepEqual(plain.head.headers, [['Content-Type', 'text/plain']]);
  assert.equal(plain.rest.toString(), 'body');
  const status = parse('Status: 404 Not Here\r\nX-A: 1\r\n\r\n');
  assert.ok(status.state === 'done' && status.head.status === 404 && status.head.reason === 'Not Here');
  const loc = parse('Location: /elsewhere\n\n');
  assert.ok(loc.state === 'done' && loc.head.status === 302);
  const both = parse('Location: /x\nStatus: 301\n\n');
  assert.ok(both.state === 'done' && both.head.status === 301 && both.head.reason === undefined);
});

test('a head split anywhere across reads, CRLF split too, keeps order and repeats', () => {
  const text = 'Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Z: z\r\n\r\nrest';
  for (let cut = 1; cut < text.length; cut++) {
    const r = parse(text.slice(0, cut), text.slice(cut));
    assert.equal(r.state, 'done', `cut at ${cut}`);
    if (r.state !== 'done') return;
    assert.deepEqual(r.head.headers, [
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['X-Z', 'z'],
    ]);
    assert.equal(r.rest.toString(), 'rest');
  }
});

test('bad heads: a line without a colon, a bad Status, no end within the limit', () => {
  assert.equal(parse('hello world\n\n').state, 'error');
  assert.equal(parse('Status: abc\n\n').state, 'error');
  const p = new CgiHeadParser(16);
  assert.equal(p.push(Buffer.from('X-Long: 0123456789abcdef')).state, 'error');
  assert.equal(parse('X-A: 1\n').state, 'more');
});

test('mounts: the first the path is under, at a segment boundary', () => {
  const mounts = [
    { mountpoint: '/cgi-bin/mailman', path: '/m' },
    { mountpoint: '/cgi-bin', path: '/c' },
  ];
  assert.equal(pickMount(mounts, '/cgi-bin/mailman/x')?.path, '/m');
  assert.equal(pickMount(mounts, '/cgi-bin/x')?.path, '/c');
  assert.equal(pickMount(mounts, '/cgi-bin')?.path, '/c');
  assert.equal(pickMount(mounts, '/cgi-binx/y'), undefined);
  assert.equal(pickMount(mounts, '/other'), undefined);
  assert.equal(pickMount([{ mountpoint: '', path: '/all' }], '/anything')?.path, '/all');
});

test('segments: dots applied, a climb above the directory refused', () => {
  assert.deepEqual(segmentsOf('/a/./b//c/'), ['a', 'b', 'c']);
  assert.deepEqual(segmentsOf('/a/../b'), ['b']);
  assert.equal(segmentsOf('/../etc/passwd'), undefined);
  assert.equal(segmentsOf('/a/../../b'), undefined);
  assert.deepEqual(segmentsOf('/..%2fx'), ['..%2fx']);
});

test('option values: [MOUNTPOINT=]PATH and .EXT=COMMAND', () => {
  assert.deepEqual(parseCgiMount('/cgi-bin=/var/cgi', '/'), { mountpoint: '/cgi-bin', path: '/var/cgi' });
  assert.deepEqual(parseCgiMount('/cgi-bin/=/var/cgi', '/'), { mountpoint: '/cgi-bin', path: '/var/cgi' });
  assert.deepEqual(parseCgiMount('/var/www', '/'), { mountpoint: '', path: '/var/www' });
  assert.deepEqual(parseCgiMount('www', '/srv'), { mountpoint: '', path: '/srv/www' });
  assert.deepEqual(parseCgiHelper('.PHP=php-cgi'), { ext: '.php', argv: ['php-cgi'] });
  assert.deepEqual(parseCgiHelper('lua=lua5.4 -W'), { ext: '.lua', argv: ['lua5.4', '-W'] });
  assert.throws(() => parseCgiHelper('.php'), /ERR_CONFIG_BAD_VALUE|expected \.EXT=COMMAND/);
});
