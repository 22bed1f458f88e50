// Route-var translation (reference §4.5): the two passes, uWSGI 2.0.21's literal-dollar rules and
// every route var. Expected values come from test/fixtures/routing/recorded (vars-*.json,
// core-regexp-captures.json) unless marked otherwise.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: uWSGI route rules spell vars ${NAME}
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cookieValue, httpDate, queryValue } from '../../../src/routing/route-vars.js';
import { added, fakeHost, route } from './routing-kit.js';

const header = async (rule: string, uri = '/', extra: Record<string, string> = {}) =>
  added(await route(rule, uri, extra))[0]?.replace(/^X: /, '');

describe('translation passes', () => {
  it('$0..$9 from the rule regexp; $10 is $1 then 0; a missing group is empty', async () => {
    assert.equal(
      await header(
        'route = ^/(.)/(.)/(.)/(.)/(.)/(.)/(.)/(.)/(.)/(.) addheader:X: $9 $10 $1 $0',
        '/a/b/c/d/e/f/g/h/i/j',
      ),
      'i a0 a /a/b/c/d/e/f/g/h/i/j',
    );
    assert.equal(
      await header('route = ^/user/(\\d+)/(\\w+) addheader:X: id=$1 page=$2 none=$3', '/user/42/profile'),
      'id=42 page=profile none=',
    );
  });

  it('${VAR} reads request vars, missing ones are empty', async () => {
    assert.equal(
      await header('route-run = addheader:X: ${PATH_INFO}|${QUERY_STRING}|${NOPE}|', '/p?a=1'),
      '/p|a=1||',
    );
  });

  it('a capture holding ${...} is expanded by the second pass, as in uWSGI', async () => {
    assert.equal(await header('route = ^/x/(.*)$ addheader:X: [$1]', '/x/%24%7BHTTP_HOST%7D'), '[localhost]');
  });

  it('literal dollars: $x and $$ stay, a trailing $ is dropped, an unterminated ${ stays, ${} is empty', async () => {
    assert.equal(
      await header('route = ^/(d)$ addheader:X: a$ b$$ c$x d${PATH_INFO e$', '/d'),
      'a$ b$$ c$x d${PATH_INFO e',
    );
    assert.equal(await header('route = ^/(d)$ addheader:X: ${${PATH_INFO}} f', '/d'), '} f');
    assert.equal(await header('route-run = addheader:X: a$}b${}c'), 'a$}bc');
    assert.equal(await header('route-run = addheader:X: $${PATH_INFO}', '/q'), '$${PATH_INFO}');
    assert.equal(await header('route = ^/(.*)$ addheader:X: $$1', '/q'), '$$1');
    assert.equal(await header('route = ^/y/(.*)$ addheader:X: $1$', '/y/$'), '$');
    assert.equal(await header('route-run = addheader:X: x$'), 'x');
    assert.equal(await header('route-run = addheader:X: [$'), '[');
    assert.equal(await header('route-run = addheader:X: ${'), '${');
    assert.equal(
      await header('route-run = addheader:X: ${PATH_INFO}$${PATH_INFO}$', '/q'),
      '/q$${PATH_INFO}',
    );
  });

  it('$N on a rule with no regexp is empty (2.0.21 crashes there)', async () => {
    assert.equal(await header('route-run = addheader:X: [$1]'), '[]');
  });
});

describe('route vars', () => {
  const cookie = { HTTP_COOKIE: 'a=1; b=2=3; sess=xyz' };
  it('cookie: by name, value up to ;, "=" kept, none = empty', async () => {
    assert.equal(
      await header(
        'route-run = addheader:X: ${cookie[a]} ${cookie[b]} ${cookie[sess]} [${cookie[zz]}]',
        '/',
        cookie,
      ),
      '1 2=3 xyz []',
    );
    assert.equal(cookieValue('a= 1 x ;b=2  ;  c=3;d;e=;f=6', 'a'), ' 1 x');
    assert.equal(cookieValue('a= 1 x ;b=2  ;  c=3;d;e=;f=6', 'b'), '2');
    assert.equal(cookieValue('a= 1 x ;b=2  ;  c=3;d;e=;f=6', 'c'), '3');
    assert.equal(cookieValue('a= 1 x ;b=2  ;  c=3;d;e=;f=6', 'd'), '');
    assert.equal(cookieValue('b =2', 'b'), '');
  });

  it('qs: the first item, raw (not decoded); a bare flag is empty', async () => {
    assert.equal(
      await header(
        'route-run = addheader:X: x=${qs[x]} y=${qs[y]} empty=${qs[empty]} flag=${qs[flag]} none=${qs[zz]}',
        '/F?x=5&y=6&x=7&empty=&flag',
      ),
      'x=5 y=6 empty= flag= none=',
    );
    assert.equal(queryValue('a=%41+b&b%20c=x&e=1=2&=empty', 'a'), '%41+b');
    assert.equal(queryValue('a=%41+b&b%20c=x&e=1=2&=empty', 'e'), '1=2');
    assert.equal(queryValue('a=%41+b&b%20c=x&e=1=2&=empty', ''), 'empty');
  });

  it('base64 and hex (uppercase) of a var', async () => {
    assert.equal(
      await header(
        'route-run = addheader:X: b64=${base64[PATH_INFO]} hex=${hex[PATH_INFO]} b64q=${base64[QUERY_STRING]}',
        '/Foo.TXT?x=5&y=6&x=7&empty=&flag',
      ),
      'b64=L0Zvby5UWFQ= hex=2F466F6F2E545854 b64q=eD01Jnk9NiZ4PTcmZW1wdHk9JmZsYWc=',
    );
  });

  it('upper and lower (uWSGI HEAD; 2.0.21 has neither)', async () => {
    assert.equal(
      await header('route-run = addheader:X: ${upper[PATH_INFO]} ${lower[PATH_INFO]}', '/Foo'),
      '/FOO /foo',
    );
  });

  it('mime asks the host for the type of the value of a var', async () => {
    assert.equal(await header('route-run = addheader:X: ${mime[PATH_INFO]}|', '/file.css'), 'text/css|');
    assert.equal(await header('route-run = addheader:X: ${mime[PATH_INFO]}|', '/file.unknownext'), '|');
  });

  it('time, httptime (now + N seconds), uwsgi[...] and metric from the host', async () => {
    const host = fakeHost();
    const o = await route(
      'route-run = addheader:X: ${time[unix]} ${time[micros]} [${time[x]}] ${httptime[]} / ${httptime[3600]} / ${httptime[-60]}',
      '/',
      {},
      { host },
    );
    assert.deepEqual(added(o), [
      'X: 1795258243 1795258243123456 [] Sat, 21 Nov 2026 10:50:43 GMT / Sat, 21 Nov 2026 11:50:43 GMT / Sat, 21 Nov 2026 10:49:43 GMT',
    ]);
    assert.equal(
      await header(
        'route-run = addheader:X: wid=${uwsgi[wid]} pid=${uwsgi[pid]} status=${uwsgi[status]} lq=${uwsgi[lq]} rsize=${uwsgi[rsize]} rtime=${uwsgi[rtime]} sor=${uwsgi[sor]} uuid=${uwsgi[uuid]} [${uwsgi[bad]}]',
      ),
      'wid=1 pid=4242 status=500 lq=3 rsize=0 rtime=1500 sor=1795258243121956 uuid=00000000-0000-4000-8000-000000000000 []',
    );
    assert.equal(await header('route-run = addheader:X: ${metric[requests]} [${metric[none]}]'), '17 []');
  });

  it('an unknown func reads the whole `func[arg]` as a var name', async () => {
    assert.equal(await header('route-run = addheader:X: [${foo[bar]}]', '/', { 'foo[bar]': 'odd' }), '[odd]');
    assert.equal(await header('route-run = addheader:X: [${foo[bar]}]'), '[]');
  });

  it('httpDate formats like uwsgi_http_date', () => {
    assert.equal(httpDate(0), 'Thu, 01 Jan 1970 00:00:00 GMT');
    assert.equal(httpDate(1_000_003_600), 'Sun, 09 Sep 2001 02:46:40 GMT');
  });
});
