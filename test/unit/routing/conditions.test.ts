// Every route-if condition of reference §4.3 (src/routing/conditions.ts), through a real program:
// the truth table of each, route-if-not, the split at `;` before translation, and the I/O ones
// against the fake host. Cases mirror test/fixtures/routing/configs/cond-*.ini.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: uWSGI route rules spell vars ${NAME}
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONDITIONS } from '../../../src/routing/conditions.js';
import { ipv4In, ipv6In } from '../../../src/routing/ip-range.js';
import { RouteCode } from '../../../src/routing/outcome.js';
import { added, fakeHost, file, route } from './routing-kit.js';

/** Does `route-if = COND addheader:X: y` add the header? */
async function holds(
  cond: string,
  uri = '/',
  extra: Record<string, string> = {},
  negate = false,
): Promise<boolean> {
  const o = await route(`route-if${negate ? '-not' : ''} = ${cond} addheader:X: y`, uri, extra);
  return added(o).length === 1;
}

describe('conditions', () => {
  it('equal and its aliases compare bytes; a missing ; is false (true under route-if-not)', async () => {
    for (const name of ['equal', 'isequal', 'eq', '==']) {
      assert.equal(await holds(`${name}:\${PATH_INFO};/same`, '/same'), true, name);
      assert.equal(await holds(`${name}:\${PATH_INFO};/same`, '/diff'), false, name);
    }
    assert.equal(await holds('equal:${PATH_INFO}', '/same'), false);
    assert.equal(await holds('equal:${PATH_INFO}', '/same', {}, true), true);
    assert.equal(await holds('equal:;${HTTP_X_NONE}'), true);
    assert.equal(await holds('equal:${PATH_INFO};/same', '/same', {}, true), false);
  });

  it('two operands split at the first ; before translation (a var holding ; stays whole)', async () => {
    assert.equal(await holds('equal:${HTTP_X_A};a;b', '/', { HTTP_X_A: 'a;b' }), true);
    assert.equal(await holds('equal:${HTTP_X_A};a', '/', { HTTP_X_A: 'a;b' }), false);
  });

  it('startswith / endswith / contains / contain', async () => {
    assert.equal(await holds('startswith:${PATH_INFO};/api/', '/api/v1/users.json'), true);
    assert.equal(await holds('startswith:${PATH_INFO};/api/', '/static/app.css'), false);
    assert.equal(await holds('startswith:${PATH_INFO};', '/'), true);
    assert.equal(await holds('endswith:${PATH_INFO};.json', '/api/v1/users.json'), true);
    assert.equal(await holds('endswith:/;/longer'), false);
    assert.equal(await holds('contains:${PATH_INFO};/v1/', '/api/v1/x'), true);
    assert.equal(await holds('contain:${PATH_INFO};static', '/api/v1/x'), false);
  });

  it('regexp / re: its captures replace $0..$9 for the action', async () => {
    const o = await route(
      'route-if = regexp:${HTTP_USER_AGENT};^(\\w+)/([\\d.]+) addheader:X: $1 v$2 [$0]',
      '/',
      {
        HTTP_USER_AGENT: 'Mozilla/5.0 (X11)',
      },
    );
    assert.deepEqual(added(o), ['X: Mozilla v5.0 [Mozilla/5.0]']);
    assert.equal(await holds('re:${PATH_INFO};\\.(png|jpg)$', '/img/logo.png'), true);
    assert.equal(await holds('re:${PATH_INFO};^/img', '/doc', {}, true), true);
  });

  it('a regexp that does not compile (it comes out of translation) ends the request', async () => {
    const o = await route('route-if = regexp:${PATH_INFO};${HTTP_X_RE} addheader:X: y', '/a', {
      HTTP_X_RE: '(',
    });
    assert.equal(o.code, RouteCode.BREAK);
    assert.match(o.log[0] ?? '', /ERROR .*regexp/);
  });

  it('ishigher > / ishigherequal >= / islower < / islowerequal <= read numbers as strtol (abc = 0)', async () => {
    const table: [string, string, boolean][] = [
      ['ishigher', '15', true],
      ['>', '10', false],
      ['ishigherequal', '10', true],
      ['>=', '5', false],
      ['islower', '5', true],
      ['<', '10', false],
      ['islowerequal', '10', true],
      ['<=', '15', false],
      ['<', 'abc', true],
      ['<', '-3', true],
    ];
    for (const [name, n, want] of table) {
      assert.equal(await holds(`${name}:\${HTTP_X_N};10`, '/', { HTTP_X_N: n }), want, `${n} ${name} 10`);
    }
  });

  it('empty: the translated value has no bytes', async () => {
    assert.equal(await holds('empty:${HTTP_X_TOKEN}'), true);
    assert.equal(await holds('empty:${HTTP_X_TOKEN}', '/', { HTTP_X_TOKEN: '' }), true);
    assert.equal(await holds('empty:${HTTP_X_TOKEN}', '/', { HTTP_X_TOKEN: 'abc' }), false);
    assert.equal(await holds('empty:'), true);
  });

  it('ipv4in / ipv6in (recorded: cond-ipin)', async () => {
    assert.equal(await holds('ipv4in:${REMOTE_ADDR};127.0.0.0/8'), true);
    assert.equal(await holds('ipv4in:${REMOTE_ADDR};192.168.0.0/16'), false);
    assert.equal(ipv4In('192.168.10.20', '192.168.10.20'), true);
    assert.equal(ipv4In('10.0.0.1', '10.0.0.0/32'), false);
    assert.equal(ipv4In('10.0.0.1', '0.0.0.0/0'), true);
    assert.equal(ipv4In('10.0.0.1', '10.0.0.0/33'), false);
    assert.equal(ipv4In('2001:db8::1', '0.0.0.0/0'), false);
    assert.equal(ipv4In('10.0.0.130', '10.0.0.128/25'), true);
    assert.equal(ipv4In('10.0.0.127', '10.0.0.128/25'), false);
    assert.equal(ipv6In('2001:db8::1', '2001:db8::/32'), true);
    assert.equal(ipv6In('2001:db9::1', '2001:db8::/32'), false);
    assert.equal(ipv6In('2001:db8::1', '2001:db8::1'), true);
    assert.equal(ipv6In('::ffff:10.1.2.3', '::ffff:10.0.0.0/104'), true);
    assert.equal(ipv6In('127.0.0.1', '::/0'), false);
  });

  it('lord asks the host', async () => {
    assert.equal(await holds('lord:mine'), true);
    assert.equal(await holds('lord:mylegion'), false);
  });

  it('exists / isfile / isdir / islink / isexec stat through the host (follow links but islink)', async () => {
    const host = fakeHost();
    host.files.set('/www/hello.txt', file('hi'));
    host.files.set('/www', file('', { isFile: false, isDirectory: true, exec: true } as never));
    host.files.set('/www/link.txt', file('hi', { isSymbolicLink: true }));
    host.files.set('/www/run.sh', { ...file('#!'), exec: true });
    const heads = async (path: string) =>
      added(
        await route(
          [
            'route-if = exists:${PATH_INFO} addheader:X-Exists: 1',
            'route-if = isfile:${PATH_INFO} addheader:X-File: 1',
            'route-if = isdir:${PATH_INFO} addheader:X-Dir: 1',
            'route-if = islink:${PATH_INFO} addheader:X-Link: 1',
            'route-if = isexec:${PATH_INFO} addheader:X-Exec: 1',
            'route-if-not = exists:${PATH_INFO} addheader:X-Missing: 1',
          ].join('\n'),
          path,
          {},
          { host },
        ),
      ).map((h) => h.split(':')[0]);
    assert.deepEqual(await heads('/www/hello.txt'), ['X-Exists', 'X-File']);
    assert.deepEqual(await heads('/www'), ['X-Exists', 'X-Dir', 'X-Exec']);
    assert.deepEqual(await heads('/www/link.txt'), ['X-Exists', 'X-File', 'X-Link']);
    assert.deepEqual(await heads('/www/run.sh'), ['X-Exists', 'X-File', 'X-Exec']);
    assert.deepEqual(await heads('/www/missing'), ['X-Missing']);
    assert.ok(host.calls.includes('stat /www/link.txt false'));
  });

  it('incache asks the cache for key=..,name=..', async () => {
    const host = fakeHost();
    assert.equal(
      added(await route('route-if = incache:key=flag,name=mycache addheader:X: y', '/', {}, { host })).length,
      0,
    );
    host.cacheData.set('mycache/flag', Buffer.from('1'));
    assert.equal(
      added(await route('route-if = incache:key=flag,name=mycache addheader:X: y', '/', {}, { host })).length,
      1,
    );
    assert.deepEqual(host.calls, ['cache exists mycache/flag', 'cache exists mycache/flag']);
  });

  it('the table has every condition of reference §4.3', () => {
    const names = Object.keys(CONDITIONS).sort();
    assert.deepEqual(
      names,
      [
        '<',
        '<=',
        '==',
        '>',
        '>=',
        'contain',
        'contains',
        'empty',
        'endswith',
        'eq',
        'equal',
        'exists',
        'incache',
        'ipv4in',
        'ipv6in',
        'isdir',
        'isequal',
        'isexec',
        'isfile',
        'ishigher',
        'ishigherequal',
        'islink',
        'islower',
        'islowerequal',
        'lord',
        're',
        'regexp',
        'startswith',
      ].sort(),
    );
  });
});
