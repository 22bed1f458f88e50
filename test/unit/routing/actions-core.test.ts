// The core actions of reference §4.4 (src/routing/actions-core.ts), one test each or per family,
// with what uWSGI 2.0.21 answered (test/fixtures/routing/recorded/core-*.json).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: uWSGI route rules spell vars ${NAME}
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CORE_ACTIONS } from '../../../src/routing/actions-core.js';
import { RouteCode } from '../../../src/routing/outcome.js';
import { added, fakeHost, route } from './routing-kit.js';

describe('core actions', () => {
  it('continue and last stop the chain and run the app (CONTINUE)', async () => {
    for (const a of ['continue', 'last']) {
      const o = await route(`route-run = ${a}:\nroute-run = addheader:X-After: ran`);
      assert.equal(o.code, RouteCode.CONTINUE);
      assert.deepEqual(added(o), []);
    }
  });

  it('break: nothing, or the status line as written (not translated) with Connection: close', async () => {
    const none = await route('route-run = break:');
    assert.equal(none.code, RouteCode.BREAK);
    assert.equal(none.response, undefined);
    const short = await route('route-run = break:40');
    assert.equal(short.response, undefined);
    const line = await route('route-run = break:403 Forbidden ${PATH_INFO}');
    assert.deepEqual(line.response, {
      status: 403,
      statusLine: '403 Forbidden ${PATH_INFO}',
      headers: [
        ['Connection', 'close'],
        ['Content-Type', 'text/plain'],
      ],
      body: '',
      close: true,
    });
  });

  it('return / break-with-status: the reason as body; unknown codes and $1 (not translated) send nothing', async () => {
    const o = await route('route-run = return:404');
    assert.equal(o.code, RouteCode.BREAK);
    assert.deepEqual(o.response, {
      status: 404,
      statusLine: '404 Not Found',
      headers: [
        ['Content-Type', 'text/plain'],
        ['Content-Length', '9'],
      ],
      body: 'Not Found',
      close: false,
    });
    assert.equal((await route('route-run = break-with-status:418')).response?.statusLine, "418 I'm a teapot");
    for (const arg of ['999', 'abc', '$1']) {
      const x = await route(`route = ^/(.*) return:${arg}`, '/401');
      assert.equal(x.code, RouteCode.BREAK);
      assert.equal(x.response, undefined, arg);
    }
  });

  it('log / logvar / donotlog / donotoffload', async () => {
    const o = await route(
      'route-run = log:ROUTELOG path=${PATH_INFO} qs=${QUERY_STRING}\nroute-run = logvar:myvar=hello ${qs[a]}\nroute-run = donotlog:\nroute-run = donotoffload:',
      '/logme?a=1',
    );
    assert.deepEqual(o.log, ['ROUTELOG path=/logme qs=a=1']);
    assert.deepEqual(o.logVars, [['myvar', 'hello 1']]);
    assert.equal(o.noLog, true);
    assert.equal(o.noOffload, true);
    assert.equal(o.code, RouteCode.NEXT);
  });

  it('addvar adds or replaces vars later rules see; the caller map is not touched', async () => {
    const o = await route(
      'route-run = addvar:X_ONE=1\nroute-run = addvar:X_TWO=${X_ONE}+${QUERY_STRING}\nroute-run = addvar:X_EQ=a=b\nroute-run = addvar:X_ONE=again\nroute-run = addheader:X-One: ${X_ONE}',
      '/a?z=9',
    );
    assert.equal(o.vars?.get('X_ONE'), 'again');
    assert.equal(o.vars?.get('X_TWO'), '1+z=9');
    assert.equal(o.vars?.get('X_EQ'), 'a=b');
    assert.deepEqual(added(o), ['X-One: again']);
    const untouched = await route('route-run = log:x');
    assert.equal(untouched.vars, undefined);
  });

  it('addheader / delheader / remheader / clearheaders / resetheaders / disableheaders edit the response', async () => {
    const o = await route(
      [
        'route-run = addheader:X-Added: ${PATH_INFO}',
        'route-run = addheader:X-Tight:v',
        'route-run = delheader:X-Remove-Me',
        'route-run = remheader:X-REMOVE-TOO',
        'route-run = clearheaders:404 Not Here',
        'route-run = resetheaders:201 Made',
        'route-run = disableheaders:',
      ].join('\n'),
      '/h',
    );
    assert.deepEqual(o.headers, [
      { op: 'add', name: 'X-Added', value: '/h' },
      { op: 'add', name: 'X-Tight', value: 'v' },
      { op: 'remove', name: 'X-Remove-Me' },
      { op: 'remove', name: 'X-REMOVE-TOO' },
      { op: 'reset', statusLine: '404 Not Here' },
      { op: 'reset', statusLine: '201 Made' },
    ]);
    assert.equal(o.headersDisabled, true);
  });

  it('send / send-crnl queue raw bytes in order', async () => {
    const o = await route(
      'route-run = send:HTTP/1.0 200 OK\nroute-run = send-crnl:\nroute-run = send-crnl:Content-Type: text/html\nroute-run = send-crnl:\nroute-run = send:hello ${PATH_INFO}\nroute-run = break:',
      '/raw',
    );
    assert.equal(o.raw.join(''), 'HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\nhello /raw');
    assert.equal(o.code, RouteCode.BREAK);
  });

  it('the set* actions set the vars the app sees (setfile sets UWSGI_HOME, setuser cuts at :)', async () => {
    const o = await route(
      [
        'route-run = setapp:myapp',
        'route-run = setuser:bob:secret',
        'route-run = sethome:/home/x',
        'route-run = setscriptname:/script',
        'route-run = setmethod:POST',
        'route-run = seturi:/new/uri?x=${QUERY_STRING}',
        'route-run = setremoteaddr:10.9.8.7',
        'route-run = setpathinfo:/new/path',
        'route-run = setdocroot:/srv/www',
        'route-run = setscheme:https',
        'route-run = addheader:X-Seen: ${PATH_INFO} ${REQUEST_URI} ${REQUEST_METHOD} ${REMOTE_USER} ${REMOTE_ADDR}',
      ].join('\n'),
      '/set?q=1',
    );
    const v = o.vars as Map<string, string>;
    assert.deepEqual(
      [
        'UWSGI_APPID',
        'REMOTE_USER',
        'UWSGI_HOME',
        'SCRIPT_NAME',
        'REQUEST_METHOD',
        'REQUEST_URI',
        'REMOTE_ADDR',
        'PATH_INFO',
        'DOCUMENT_ROOT',
        'UWSGI_SCHEME',
        'QUERY_STRING',
      ].map((k) => v.get(k)),
      [
        'myapp',
        'bob',
        '/home/x',
        '/script',
        'POST',
        '/new/uri?x=q=1',
        '10.9.8.7',
        '/new/path',
        '/srv/www',
        'https',
        'q=1',
      ],
    );
    assert.deepEqual(added(o), ['X-Seen: /new/path /new/uri?x=q=1 POST bob 10.9.8.7']);
    const f = await route('route-run = setfile:/some/file.py\nroute-run = setuser:carol');
    assert.equal(f.vars?.get('UWSGI_HOME'), '/some/file.py');
    assert.equal(f.vars?.get('REMOTE_USER'), 'carol');
  });

  it("fixpathinfo cuts SCRIPT_NAME's length off PATH_INFO, without comparing (2.0.21)", async () => {
    const rules = 'route-run = setscriptname:/app\nroute-run = fixpathinfo:';
    assert.equal((await route(rules, '/app/sub/page')).vars?.get('PATH_INFO'), '/sub/page');
    assert.equal((await route(rules, '/other/page')).vars?.get('PATH_INFO'), 'er/page');
  });

  it('+ - * / work in 64 bits printed unsigned; / multiplies and values read digit by digit (2.0.21); a missing var breaks', async () => {
    const o = await route(
      [
        'route-run = addvar:X_A=10',
        'route-run = +:X_A',
        'route-run = addvar:X_B=10',
        'route-run = +:X_B,5',
        'route-run = addvar:X_C=10',
        'route-run = -:X_C,3',
        'route-run = addvar:X_D=10',
        'route-run = *:X_D,3',
        'route-run = addvar:X_E=10',
        'route-run = /:X_E,2',
        'route-run = addvar:X_G=-4',
        'route-run = -:X_G,${X_A}',
        'route-run = addvar:X_F=abc',
        'route-run = +:X_F,2',
      ].join('\n'),
    );
    // a var's bytes all count as digits in 2.0.21: -4 reads as -26, abc as 5451
    assert.deepEqual(
      ['X_A', 'X_B', 'X_C', 'X_D', 'X_E', 'X_G', 'X_F'].map((k) => o.vars?.get(k)),
      ['11', '15', '7', '30', '20', '18446744073709551579', '5453'],
    );
    assert.equal((await route('route-run = +:X_NEW,7\nroute-run = addheader:X: y')).code, RouteCode.BREAK);
  });

  it('signal / setprocname / alarm are effects; setmodifier1/2 and harakiri are read once (not translated)', async () => {
    const o = await route(
      'route-run = signal:17\nroute-run = setprocname:w-${PATH_INFO}\nroute-run = alarm:myalarm something ${PATH_INFO}\nroute-run = setmodifier1:9\nroute-run = setmodifier2:3\nroute-run = harakiri:30',
      '/p',
    );
    assert.deepEqual(o.effects, [
      { kind: 'signal', signal: 17 },
      { kind: 'setprocname', name: 'w-/p' },
      { kind: 'alarm', alarm: 'myalarm', message: 'something /p' },
    ]);
    assert.equal(o.modifier1, 9);
    assert.equal(o.modifier2, 3);
    assert.equal(o.harakiri, 30);
  });

  it('chdir asks the host and breaks when it fails', async () => {
    const host = fakeHost();
    host.files.set('/tmp', { isFile: false, isDirectory: true, isSymbolicLink: false, mtimeMs: 0, size: 0 });
    assert.equal((await route('route-run = chdir:/tmp', '/', {}, { host })).code, RouteCode.NEXT);
    assert.equal((await route('route-run = chdir:/nope', '/', {}, { host })).code, RouteCode.BREAK);
    assert.deepEqual(host.calls, ['chdir /tmp', 'chdir /nope']);
  });

  it('flush / fixcl / forcecl are transformations', async () => {
    const o = await route('route-run = flush:\nroute-run = fixcl:\nroute-run = forcecl:');
    assert.deepEqual(o.transforms, [{ kind: 'flush' }, { kind: 'fixcl' }, { kind: 'forcecl' }]);
  });

  it('the table is exactly the core of 2.0.21 --routers-list, in its order', () => {
    assert.deepEqual(Object.keys(CORE_ACTIONS), [
      'continue',
      'last',
      'break',
      'return',
      'break-with-status',
      'log',
      'donotlog',
      'donotoffload',
      'logvar',
      'goto',
      'addvar',
      'addheader',
      'delheader',
      'remheader',
      'clearheaders',
      'resetheaders',
      'disableheaders',
      'signal',
      'send',
      'send-crnl',
      'chdir',
      'setapp',
      'setuser',
      'sethome',
      'setfile',
      'setscriptname',
      'setmethod',
      'seturi',
      'setremoteaddr',
      'setpathinfo',
      'fixpathinfo',
      'setdocroot',
      'setscheme',
      'setprocname',
      'alarm',
      'setmodifier1',
      'setmodifier2',
      '+',
      '-',
      '*',
      '/',
      'flush',
      'fixcl',
      'forcecl',
      'harakiri',
    ]);
  });
});
