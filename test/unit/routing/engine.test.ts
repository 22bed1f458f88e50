// The engine of reference §4.2 (src/routing/program.ts): return codes, gotos and labels (forward
// only, numbers, translated targets, the backward-goto error), chains and their subjects, the
// synchronous and asynchronous host paths, and rule parsing errors with their codes and origins.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: uWSGI route rules spell vars ${NAME}
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findOption } from '../../../src/config/option-registry.js';
import { OPTIONS } from '../../../src/config/option-table.js';
import { isUwsgiError } from '../../../src/errors.js';
import { ROUTE_OPTIONS } from '../../../src/routing/chains.js';
import { RouteCode } from '../../../src/routing/outcome.js';
import { RoutingProgram, routeEntries } from '../../../src/routing/program.js';
import { added, entries, fakeHost, file, program, route, vars } from './routing-kit.js';

const names = (o: { headers: readonly { op: string; name?: string }[] }) =>
  o.headers.flatMap((h) => (h.op === 'add' && h.name !== undefined ? [h.name] : []));

describe('return codes', () => {
  it('NEXT at the end of the chain, CONTINUE on continue, BREAK on break; later rules do not run', async () => {
    assert.equal((await route('route-run = addheader:X: 1')).code, RouteCode.NEXT);
    const c = await route('route = ^/c continue:\nroute-run = addheader:X-After: ran', '/c');
    assert.deepEqual([c.code, names(c)], [RouteCode.CONTINUE, []]);
    const n = await route('route = ^/c continue:\nroute-run = addheader:X-After: ran', '/n');
    assert.deepEqual([n.code, names(n)], [RouteCode.NEXT, ['X-After']]);
  });

  it('non-matching rules are skipped; each chain subject reads its var', async () => {
    const rules = [
      'route-host = ^example\\.(com)$ addheader:X-Host: $1',
      'route-uri = ^/p\\?q=(.*)$ addheader:X-Uri: $1',
      'route-qs = q=(\\w+) addheader:X-Qs: $1',
      'route-remote-addr = ^127\\.0\\.0\\.(\\d+)$ addheader:X-Addr: $1',
      'route-user-agent = ^Mozilla/(\\S+) addheader:X-Ua: $1',
      'route-referer = ref\\.example/(.*) addheader:X-Ref: $1',
      'route-remote-user = ^al(.*) addheader:X-Ru: $1',
      'route-referer = ^$ addheader:X-No-Referer: 1',
    ].join('\n');
    const o = await route(rules, '/p?q=abc', {
      HTTP_HOST: 'example.com',
      HTTP_USER_AGENT: 'Mozilla/5.0 test',
      HTTP_REFERER: 'http://ref.example/page',
      REMOTE_USER: 'alice',
    });
    assert.deepEqual(added(o), [
      'X-Host: com',
      'X-Uri: abc',
      'X-Qs: abc',
      'X-Addr: 1',
      'X-Ua: 5.0',
      'X-Ref: page',
      'X-Ru: ice',
    ]);
    assert.deepEqual(names(await route(rules, '/other')), ['X-Addr', 'X-No-Referer']);
  });

  it('later rules see vars changed by earlier ones (the subject is the current PATH_INFO)', async () => {
    const o = await route('route = ^/a setpathinfo:/b\nroute = ^/b addheader:X-B: ${PATH_INFO}', '/a');
    assert.deepEqual(added(o), ['X-B: /b']);
  });
});

describe('goto and labels', () => {
  const rules = [
    'route = ^/admin goto:adm',
    'route = ^/num goto:6',
    'route-run = addheader:X-Plain: 1',
    'route-run = last:',
    'route-label = adm',
    'route-run = addheader:X-Adm: 1',
    'route-run = addheader:X-Six: 1',
    'route-run = addheader:X-Seven: 1',
  ].join('\n');

  it('goto a label or a rule number (labels count as rules, from 0) skips to it (recorded core-goto-label)', async () => {
    assert.deepEqual(names(await route(rules, '/admin/x')), ['X-Adm', 'X-Six', 'X-Seven']);
    assert.deepEqual(names(await route(rules, '/num')), ['X-Six', 'X-Seven']);
    const plain = await route(rules, '/plain');
    assert.deepEqual([names(plain), plain.code], [['X-Plain'], RouteCode.CONTINUE]);
  });

  it('the target is translated; the first label of a name wins', async () => {
    const t =
      'route = ^/to/(\\w+) goto:$1\nroute-run = addheader:X-Skipped: 1\nroute-label = lab1\nroute-run = addheader:X-Lab1: 1\nroute-label = lab2\nroute-run = addheader:X-Lab2: 1';
    assert.deepEqual(names(await route(t, '/to/lab2')), ['X-Lab2']);
    assert.deepEqual(names(await route(t, '/to/lab1')), ['X-Lab1', 'X-Lab2']);
    const dup =
      'route = ^/go goto:dup\nroute-run = addheader:X-Skipped: 1\nroute-label = dup\nroute-run = addheader:X-First: 1\nroute-label = dup\nroute-run = addheader:X-Second: 1';
    assert.deepEqual(names(await route(dup, '/go')), ['X-First', 'X-Second']);
  });

  it("a goto that does not jump forward ends the request with uWSGI's error line; unknown labels read as numbers", async () => {
    const back = [
      'route-label = top',
      'route-run = addheader:X-First: 1',
      'route = ^/back goto:top',
      'route = ^/self goto:3',
      'route = ^/unknown goto:nolabel',
      'route-run = addheader:X-End: 1',
    ].join('\n');
    for (const path of ['/back', '/self', '/unknown']) {
      const o = await route(back, path);
      assert.equal(o.code, RouteCode.BREAK, path);
      assert.deepEqual(o.log, [
        '[uwsgi-route] ERROR "goto" instruction can only jump forward (check your label !!!)',
      ]);
    }
    assert.deepEqual(names(await route(back, '/ok')), ['X-First', 'X-End']);
    // a number past the end skips everything that is left
    assert.deepEqual(names(await route('route-run = goto:99\nroute-run = addheader:X: 1')), []);
  });
});

describe('chains', () => {
  it('response/error/final chains see the status; -status rules compare it', async () => {
    const rules = [
      'response-route-run = addheader:X-Status: ${uwsgi[status]}',
      'response-route-status = 404 addheader:X-Was-404: yes',
      'response-route-if = equal:${uwsgi[status]};404 addheader:X-If-404: 1',
      'route-run = addheader:X-Request: 1',
    ].join('\n');
    const nf = await route(rules, '/nf', {}, { chain: 'response', status: 404 });
    assert.deepEqual(added(nf), ['X-Status: 404', 'X-Was-404: yes', 'X-If-404: 1']);
    const ok = await route(rules, '/ok', {}, { chain: 'response', status: 200 });
    assert.deepEqual(added(ok), ['X-Status: 200']);
    assert.deepEqual(added(await route(rules, '/ok')), ['X-Request: 1']);
    const p = program(rules);
    assert.deepEqual(
      [p.has('request'), p.has('response'), p.has('error'), p.has('final')],
      [true, true, false, false],
    );
    assert.equal(p.size('response'), 3);
  });

  it('a chain with no rules costs nothing and answers NEXT', async () => {
    const p = RoutingProgram.compile([]);
    assert.equal(p.has('request'), false);
    const o = p.run('request', { vars: vars('/'), startMicros: 0 }, fakeHost());
    assert.ok(!(o instanceof Promise));
    assert.equal(o.code, RouteCode.NEXT);
  });
});

describe('synchronous and asynchronous hosts', () => {
  const rules =
    'route-if = isfile:/www${PATH_INFO} static:/www${PATH_INFO}\nroute-run = addheader:X-Missing: 1';

  it('a sync host gives a sync outcome; a Promise-answering host an async one, with the same result', async () => {
    const host = fakeHost();
    host.files.set('/www/a.txt', file('a'));
    const p = program(rules);
    const sync = p.run('request', { vars: vars('/a.txt'), startMicros: 0 }, host);
    assert.ok(!(sync instanceof Promise));
    host.async = true;
    const async = p.run('request', { vars: vars('/a.txt'), startMicros: 0 }, host);
    assert.ok(async instanceof Promise);
    assert.deepEqual((await async).offload, sync.offload);
    assert.deepEqual(names(await p.run('request', { vars: vars('/b.txt'), startMicros: 0 }, host)), [
      'X-Missing',
    ]);
  });

  it('a host that throws or rejects ends the request with a log line, never a throw', async () => {
    const host = fakeHost();
    host.stat = () => {
      throw new Error('EIO');
    };
    const sync = await route(rules, '/a.txt', {}, { host });
    assert.equal(sync.code, RouteCode.BREAK);
    assert.match(sync.log[0] ?? '', /^\[uwsgi-route\] ERROR EIO: route-if = isfile/);
    host.stat = () => Promise.reject(new Error('EAGAIN'));
    const rejected = await route(rules, '/a.txt', {}, { host });
    assert.equal(rejected.code, RouteCode.BREAK);
    assert.match(rejected.log[0] ?? '', /EAGAIN/);
  });
});

describe('rule syntax', () => {
  const code = (text: string) => {
    try {
      program(text);
      return 'ok';
    } catch (e) {
      return isUwsgiError(e) ? e.code : String(e);
    }
  };

  it('splits at the first space and the first colon; errors carry codes and the origin', () => {
    assert.equal(code('route = ^/nospace'), 'ERR_ROUTE_SYNTAX');
    assert.equal(code('route = ^/x continue'), 'ERR_ROUTE_SYNTAX');
    assert.equal(code('route-run = continue'), 'ERR_ROUTE_SYNTAX');
    assert.equal(code('route-if = equal;x log:y'), 'ERR_ROUTE_SYNTAX');
    assert.equal(code('route-if = nosuchcond:a;b log:x'), 'ERR_ROUTE_UNKNOWN_CONDITION');
    assert.equal(code('route = ^/(x addheader:X: 1'), 'ERR_ROUTE_BAD_REGEXP');
    assert.equal(code('route = ^/x  addheader:X: 1'), 'ERR_ROUTE_UNKNOWN_ACTION');
    assert.equal(code('route-run = addvar:NOEQ'), 'ERR_ROUTE_BAD_ARGS');
    assert.equal(code('route-run = logvar:x'), 'ERR_ROUTE_BAD_ARGS');
    assert.equal(code('route-run = addheader:NoColon'), 'ok');
    try {
      program('route-run = log:ok\nroute = ^/(x addheader:X: 1');
      assert.fail('compiled');
    } catch (e) {
      assert.ok(isUwsgiError(e));
      assert.match(e.message, /route = \^\/\(x addheader:X: 1 \(test\.ini:2\)/);
    }
  });

  it('the option table and the chain table agree on every route option', () => {
    const table = OPTIONS.filter((o) => o.subsystem === 'routing' && o.name !== 'router-list')
      .map((o) => o.name)
      .sort();
    assert.deepEqual([...ROUTE_OPTIONS.keys()].sort(), table);
  });

  it('routeEntries keeps config order across options and formats origins', () => {
    const config = {
      entries: [
        {
          key: 'route',
          value: '^/a goto:x',
          origin: { kind: 'file', path: 'app.ini', line: 3 },
          configured: true,
        },
        { key: 'socket', value: ':0', origin: { kind: 'file', path: 'app.ini', line: 4 }, configured: true },
        {
          key: 'route-label',
          value: 'x',
          origin: { kind: 'argv', index: 1, flag: '--route-label' },
          configured: true,
        },
      ] as const,
    };
    assert.deepEqual(routeEntries(config), [
      { option: 'route', value: '^/a goto:x', origin: 'app.ini:3' },
      { option: 'route-label', value: 'x', origin: 'command line --route-label' },
    ]);
    assert.ok(findOption('route-if'));
    assert.deepEqual(entries('route = a b'), [{ option: 'route', value: 'a b', origin: 'test.ini:1' }]);
  });
});
