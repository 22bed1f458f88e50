// What seeds 002's caching cookbook needs of the rules engine, found by
// test/integration/cache-cookbook.test.ts and checked against uWSGI 2.0.21: a cache hit of an item
// stored with expires= carries an Expires header (after Content-Type and Content-Encoding, before
// Content-Length), and basicauth lets an already named user through (one rule per user), while
// basicauth-next goes on only past credentials it could read.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: uWSGI route rules spell vars ${NAME}
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readableBasic } from '../../../src/routing/actions-basicauth.js';
import type { CacheRequest } from '../../../src/routing/host.js';
import { RouteCode } from '../../../src/routing/outcome.js';
import { httpDate } from '../../../src/routing/route-vars.js';
import { fakeHost, route } from './routing-kit.js';

const basic = (creds: string) => `Basic ${Buffer.from(creds).toString('base64')}`;

describe('cache: the Expires header of a hit', () => {
  const EXPIRES = 1_795_262_400;

  /** A host whose cache answers `get` with the value and its expiry, as the worker's does. */
  function hostWith(expires: number) {
    const host = fakeHost();
    host.cache = (req: CacheRequest) =>
      req.op === 'get' && req.key === 'myhome' ? { value: Buffer.from('Hello World!'), expires } : undefined;
    return host;
  }

  it('an item with an expiry: Content-Type, Content-Encoding, Expires, Content-Length', async () => {
    const o = await route(
      'route-run = cache:key=myhome,content_encoding=gzip',
      '/',
      {},
      { host: hostWith(EXPIRES) },
    );
    assert.equal(o.code, RouteCode.BREAK);
    assert.deepEqual(o.response?.headers, [
      ['Content-Type', 'text/html'],
      ['Content-Encoding', 'gzip'],
      ['Expires', httpDate(EXPIRES)],
      ['Content-Length', '12'],
    ]);
    assert.equal(httpDate(EXPIRES), 'Sat, 21 Nov 2026 12:00:00 GMT');
  });

  it('an item without one (or a host answering bare bytes): no Expires', async () => {
    const none = await route('route-run = cache:key=myhome', '/', {}, { host: hostWith(0) });
    assert.deepEqual(none.response?.headers, [
      ['Content-Type', 'text/html'],
      ['Content-Length', '12'],
    ]);
    const host = fakeHost();
    host.cacheData.set('/myhome', Buffer.from('bytes'));
    const bare = await route('route-run = cache:key=myhome', '/', {}, { host });
    assert.deepEqual(bare.response?.headers, [
      ['Content-Type', 'text/html'],
      ['Content-Length', '5'],
    ]);
  });

  it('cachevar reads the value of a hit that carries its expiry', async () => {
    const o = await route('route-run = cachevar:key=myhome,var=HOME', '/', {}, { host: hostWith(EXPIRES) });
    assert.equal(o.vars?.get('HOME'), 'Hello World!');
  });
});

describe('basicauth: one rule per user, and what basicauth-next goes on past', () => {
  const TWO_USERS =
    'route = ^/ basicauth-next:cookbook,alice:alicepw\nroute = ^/ basicauth:cookbook,bob:bobpw';

  it('a user accepted by an earlier rule passes the later ones (2.0.21 skips them)', async () => {
    for (const [creds, user] of [
      ['alice:alicepw', 'alice'],
      ['bob:bobpw', 'bob'],
    ] as const) {
      const o = await route(TWO_USERS, '/', { HTTP_AUTHORIZATION: basic(creds) });
      assert.equal(o.code, RouteCode.NEXT, creds);
      assert.equal(o.vars?.get('REMOTE_USER'), user);
    }
    const wrong = await route(TWO_USERS, '/', { HTTP_AUTHORIZATION: basic('alice:bobpw') });
    assert.equal(wrong.response?.status, 401);
  });

  it('a REMOTE_USER from the front-end passes without an Authorization header', async () => {
    const o = await route('route-run = basicauth:cookbook,alice:alicepw', '/', { REMOTE_USER: 'carol' });
    assert.equal(o.code, RouteCode.NEXT);
    assert.equal(o.response, undefined);
    assert.equal(o.vars?.get('REMOTE_USER') ?? 'carol', 'carol');
  });

  it('basicauth-next answers 401 when there are no credentials to read', async () => {
    const rules = 'route-run = basicauth-next:cookbook,alice:alicepw';
    for (const auth of [
      undefined,
      'Bearer x',
      'Basic x',
      'Basic YW!x',
      'basic YWxpY2U6eA==',
      `Basic  ${basic('a:b').slice(6)}`,
    ]) {
      const o = await route(rules, '/', auth === undefined ? {} : { HTTP_AUTHORIZATION: auth });
      assert.equal(o.response?.status, 401, String(auth));
    }
    for (const auth of [
      basic('alice:wrong'),
      'Basic YWxpY2U=',
      'Basic ====',
      'Basic xy',
      'Basic YWxpY2U6eA==junk!',
    ]) {
      const o = await route(rules, '/', { HTTP_AUTHORIZATION: auth });
      assert.equal(o.code, RouteCode.NEXT, auth);
      assert.equal(o.response, undefined, auth);
    }
  });

  it('readableBasic: as 2.0.21 reads the header (observed)', () => {
    const table: [string, boolean][] = [
      ['', false],
      ['Basic ', false],
      ['Basic x', false],
      ['Basic xy', true],
      ['Basic YW!x', false],
      ['Basic  YWxpY2U6eA==', false],
      ['basic YWxpY2U6eA==', false],
      ['Basic ====', true],
      ['Basic YWxpY2U6eA==junk!', true],
      ['Basic YWxpY2U6YWxpY2Vwdw', true],
    ];
    for (const [header, readable] of table) assert.equal(readableBasic(header), readable, header);
  });
});
