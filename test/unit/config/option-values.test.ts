// Issue 11 points 4 and 5 in-process: the rows' choices and bounds agree with the tables that use
// them, every default passes its own row, values are typed non-optional where a default exists,
// and every option, plugin and app file of a capability not served yet is refused by resolve().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import type { ConfigHost } from '../../../src/config/loader.js';
import { NOT_SERVED_YET, type NotServedYet } from '../../../src/config/not-served-yet.js';
import { ALL_OPTIONS, findOption } from '../../../src/config/option-registry.js';
import { BUILT_IN_PLUGINS, pluginNames } from '../../../src/config/plugins.js';
import { appFile } from '../../../src/config/served-check.js';
import { SERVED_OPTIONS } from '../../../src/config/served-options.js';
import { checkValue, VALUE_PARSERS } from '../../../src/config/value-kinds.js';
import { isUwsgiError } from '../../../src/errors.js';
import { parseEncoder } from '../../../src/logging/encoders.js';
import { CHEAPER_ALGOS } from '../../../src/master/cheaper-algos.js';
import { parseIdleAvg } from '../../../src/metrics/carbon.js';
import { PROTOCOL_NAMES } from '../../../src/net/socket-protocol.js';
import { ACTIONS } from '../../../src/routing/action-table.js';

const host: ConfigHost = {
  env: {},
  cwd: '/',
  magic: {
    cwd: '/',
    hostname: 'box',
    cores: 1,
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

/** The code resolve() refuses argv with, or undefined when it is accepted. */
function refusal(argv: readonly string[]): string | undefined {
  try {
    loadConfig(argv, host);
    return undefined;
  } catch (err) {
    if (isUwsgiError(err)) return err.code;
    throw err;
  }
}

/** A value of the right kind for an option (the family test is about presence, not values). */
function sample(kind: string): string {
  const samples: Readonly<Record<string, string>> = { kv: 'a=b', octal: '644', flag: '1' };
  return samples[kind] ?? (['int', 'seconds', 'megabytes'].includes(kind) ? '1' : 'x');
}

function argvFor(name: string): string[] {
  const spec = findOption(name);
  assert.ok(spec, name);
  return spec.arg === 'required' ? [`--${name}`, sample(spec.kind)] : [`--${name}`];
}

test('every default parses by its kind and passes its own choices and bounds', () => {
  for (const spec of ALL_OPTIONS) {
    if (spec.default === undefined) continue;
    const value = VALUE_PARSERS[spec.kind](spec.default, spec, 'the option table');
    assert.doesNotThrow(() => checkValue(spec, spec.default ?? '', value, 'the option table'), spec.name);
  }
});

test('choices agree with the tables that use them', () => {
  const choices = (name: string) => [...(findOption(name)?.choices ?? [])].sort();
  assert.deepEqual(choices('cheaper-algo'), Object.keys(CHEAPER_ALGOS).sort());
  assert.deepEqual(choices('protocol'), Object.keys(PROTOCOL_NAMES).sort());
  for (const name of choices('log-encoder'))
    assert.doesNotThrow(() => parseEncoder(`${name} x`, 'test'), name);
  assert.deepEqual(choices('log-req-encoder'), choices('log-encoder'));
  for (const name of choices('carbon-idle-avg')) assert.equal(parseIdleAvg(name), name);
});

test('a value of an option with a default is typed non-optional; choices narrow the type', () => {
  const { config } = loadConfig(['--app-style', 'node'], host);
  // compile-time checks: these assignments fail to type-check if value() may return undefined
  const processes: number = config.value('processes');
  const style: 'fetch' | 'node' | 'auto' = config.value('app-style');
  const algo: 'spare' | 'spare2' | 'backlog' | 'manual' | 'busyness' = config.value('cheaper-algo');
  const harakiri: number = config.value('harakiri');
  assert.deepEqual([processes, style, algo, harakiri], [1, 'node', 'spare', 0]);
  // no default: still optional
  const pidfile: string | undefined = config.value('pidfile');
  assert.equal(pidfile, undefined);
});

test('a choice is checked on the head of the value where the row says so', () => {
  assert.equal(refusal(['--log-encoder', 'json:mylogger {"m":1}']), undefined);
  assert.equal(refusal(['--log-encoder', 'rot13:mylogger x']), 'ERR_CONFIG_BAD_CHOICE');
  assert.equal(refusal(['--stats-push', 'statsd:127.0.0.1:8125']), undefined);
  assert.equal(refusal(['--stats-push', 'graphite:127.0.0.1:8125']), 'ERR_CONFIG_BAD_CHOICE');
});

test('every option of a capability not served yet is refused, and nothing served is', () => {
  const rows = Object.values(NOT_SERVED_YET) as readonly NotServedYet[];
  let refused = 0;
  for (const spec of ALL_OPTIONS) {
    const row = rows.find(
      (r) =>
        r.options.includes(spec.name) ||
        (r.subsystems.includes(spec.subsystem) && !SERVED_OPTIONS.has(spec.name)),
    );
    if (!row) continue;
    refused++;
    assert.equal(refusal(argvFor(spec.name)), 'ERR_CONFIG_NOT_SERVED_YET', spec.name);
  }
  // the gateways still hold most of uWSGI's refused options (77 with Python, CGI, the http router,
  // the fastrouter, the rawrouter, the sslrouter and most subscription options served); the floor
  // guards against a row that stops refusing by mistake
  assert.ok(refused > 70, `only ${refused} options refused`);
  // a served option of a family subsystem (callable is read by JS apps) is not refused
  assert.equal(refusal(['--callable', 'app']), undefined);
});

test('every plugin of a capability not served yet is refused by plugin and need-plugin', () => {
  for (const row of Object.values(NOT_SERVED_YET) as readonly NotServedYet[]) {
    for (const plugin of row.plugins) {
      assert.equal(refusal(['--plugin', plugin]), 'ERR_CONFIG_NOT_SERVED_YET', plugin);
      assert.equal(refusal(['--need-plugin', `0:${plugin}`]), 'ERR_CONFIG_NOT_SERVED_YET', plugin);
    }
  }
  assert.equal(refusal(['--need-plugins', 'router_cache,/usr/lib/uwsgi/plugins/rpc_plugin.so']), undefined);
  assert.equal(refusal(['--need-plugin', 'psgi']), 'ERR_CONFIG_PLUGIN_NOT_FOUND');
  // `plugin` with no counterpart warns at once and goes on, as uWSGI does
  const logged: string[] = [];
  loadConfig(['--plugin', 'psgi'], { ...host, log: (line) => logged.push(line) });
  assert.ok(
    logged.some((l) => /^uwsgi-ts: warning: unable to load plugin "psgi"/.test(l)),
    logged.join('\n'),
  );
});

test('every routing action plugin has a built-in counterpart', () => {
  for (const [name, row] of Object.entries(ACTIONS)) {
    if (row.plugin !== 'core') assert.ok(BUILT_IN_PLUGINS.has(row.plugin), `${name}: ${row.plugin}`);
  }
});

test('plugin names are read as uWSGI reads them', () => {
  assert.deepEqual(pluginNames('0:psgi, /usr/lib/uwsgi/plugins/python3_plugin.so'), ['psgi', 'python3']);
  assert.deepEqual(pluginNames('router_cache,,rpc_plugin'), ['router_cache', 'rpc']);
});

test('app files: the export after the last colon is not part of the file', () => {
  assert.equal(appFile('mount', '/x=app.py'), 'app.py');
  assert.equal(appFile('mount', '/x=lib/app.mjs:handler'), 'lib/app.mjs');
  assert.equal(appFile('app', 'dir:v2/app.ts'), 'dir:v2/app.ts');
  // Python apps are served (src/python/), under --strict too
  assert.equal(refusal(['--mount', '/x=app.wsgi']), undefined);
  assert.equal(refusal(['--strict', '--app', 'app.py:application']), undefined);
  // Python spooler tasks are served too (src/spooler/python-spooler.ts)
  assert.equal(refusal(['--spooler-import', 'tasks.py']), undefined);
  assert.equal(refusal(['--mount', '/x=app']), undefined);
  assert.equal(refusal(['--mount', 'app.mjs']), 'ERR_CONFIG_BAD_VALUE');
  assert.equal(refusal(['--strict', '--mount', '/x=app']), 'ERR_CONFIG_NO_LOADER');
  assert.equal(refusal(['--strict', '--mount', '/x=app.mts:fetch']), undefined);
});

test('options with nothing to do on Node stay accepted, without a warning', () => {
  const { config } = loadConfig(
    [
      '--enable-threads',
      '--thunder-lock',
      '--offload-threads',
      '4',
      '--lazy-apps',
      '--plugin',
      'router_cache',
    ],
    host,
  );
  assert.deepEqual(config.warnings, []);
  assert.equal(config.value('offload-threads'), 4);
});

test('need-app takes the optional boolean uWSGI 2.1 writes (unbit/uwsgi t/runner: --need-app=0)', () => {
  const value = (argv: readonly string[]) => loadConfig(argv, host).config.value('need-app');
  assert.equal(value(['--need-app=0']), false);
  assert.equal(value(['--need-app=False']), false);
  assert.equal(value(['--need-app']), true);
  assert.equal(value(['--need-app=1']), true);
  assert.notEqual(value([]), true);
});
