// The routing part of a worker's plan, from a config (src/routing/routing-plan.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, processMagicHost } from '../../../src/config/load.js';
import { isUwsgiError } from '../../../src/errors.js';
import { routingPlan } from '../../../src/routing/routing-plan.js';

const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-routing-plan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(text: string) {
  const path = join(dir, 'app.ini');
  writeFileSync(path, `[uwsgi]\n${text}`);
  return loadConfig([path], {
    env: {},
    cwd: dir,
    magic: processMagicHost(dir),
    log: () => {},
    print: () => {},
    hasPlugin: () => true,
  }).config;
}

describe('routingPlan', () => {
  it('is undefined without a rule: nothing for the workers to do', () => {
    assert.equal(routingPlan(config('processes = 2\ncollect-header = X-A X_A\n')), undefined);
  });

  it('keeps the rules of every chain in config order, with their origin', () => {
    const plan = routingPlan(
      config(
        'route = ^/a return:404\nresponse-route-run = addheader:X: 1\nroute-label = l\nfinal-route-run = log:x\n',
      ),
    );
    assert.deepEqual(
      plan?.rules.map((r) => [r.option, r.value, r.origin.replace(dir, '')]),
      [
        ['route', '^/a return:404', '/app.ini:2'],
        ['response-route-run', 'addheader:X: 1', '/app.ini:3'],
        ['route-label', 'l', '/app.ini:4'],
        ['final-route-run', 'log:x', '/app.ini:5'],
      ],
    );
  });

  it('reads collect-header and pull-header as HEADER VAR', () => {
    const plan = routingPlan(
      config(
        'collect-header = X-Sendfile X_SENDFILE\npull-header = X-Secret  MY_SECRET\nroute-run = continue:\n',
      ),
    );
    assert.deepEqual(plan?.collect, [{ header: 'X-Sendfile', name: 'X_SENDFILE' }]);
    assert.deepEqual(plan?.pull, [{ header: 'X-Secret', name: 'MY_SECRET' }]);
  });

  it('refuses a collect-header without its var, naming where', () => {
    assert.throws(
      () => routingPlan(config('route-run = continue:\ncollect-header = X-Sendfile\n')),
      (e) => isUwsgiError(e) && e.code === 'ERR_CONFIG_BAD_VALUE' && e.message.includes('app.ini:3'),
    );
  });

  it('grants rpc always, metrics when they are on', () => {
    assert.deepEqual(routingPlan(config('route-run = continue:\n'))?.capabilities, ['rpc']);
    assert.deepEqual(routingPlan(config('enable-metrics = true\nroute-run = continue:\n'))?.capabilities, [
      'rpc',
      'metrics',
    ]);
  });
});
