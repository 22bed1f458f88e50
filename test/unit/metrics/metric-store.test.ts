// The metric values in memory answer as uWSGI 2.0.21's Python API did (recorded call by call in
// test/fixtures/metrics/uwsgi-metric-api.json): 64-bit wrap, division toward zero, set_max/min,
// read-only built-ins and aliases, no division by zero.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseMetricOption } from '../../../src/metrics/metric-spec.js';
import { type MetricOp, MetricStore } from '../../../src/metrics/metric-store.js';
import { buildMetricDefs } from '../../../src/metrics/metrics-plan.js';

const recorded = JSON.parse(
  readFileSync(new URL('../../fixtures/metrics/uwsgi-metric-api.json', import.meta.url), 'utf8'),
) as { calls: Array<[string, Array<string | number>, string]> };

function store(texts: readonly string[]): MetricStore {
  const { metrics, slots } = buildMetricDefs(
    { workers: 1, cores: 1, sockets: 1, noCores: false },
    texts.map((t) => ({ spec: parseMetricOption(t, 'cli'), where: 'cli' })),
  );
  const plan = { offset: 64, slots, metrics };
  const s = new MetricStore(plan, new ArrayBuffer(64 + slots * 8));
  s.initialize();
  return s;
}

const OPS: Record<string, MetricOp> = {
  metric_set: 'set',
  metric_inc: 'inc',
  metric_dec: 'dec',
  metric_mul: 'mul',
  metric_div: 'div',
  metric_set_max: 'max',
  metric_set_min: 'min',
};

const int = (v: string | number | undefined) => (v === '2**63-1' ? 2n ** 63n - 1n : BigInt(v ?? 1));

test('every recorded call gives uWSGI 2.0.21s answer', () => {
  const s = store(['foo', 'name=al,type=alias,alias=foo', 'name=s,collector=sum,children=foo']);
  for (const [fn, args, answer] of recorded.calls) {
    const [name, value] = args as [string, string | number | undefined];
    if (fn === 'metric_get') {
      // uWSGI answers 0 for a missing metric; uwsgi-ts's store says undefined (the API throws)
      assert.equal(String(s.get(name) ?? 0n), answer, `${fn}(${args.join(', ')})`);
      continue;
    }
    const op = OPS[fn];
    assert.ok(op, fn);
    let ok: string;
    try {
      s.update(name, op, int(value));
      ok = 'True';
    } catch {
      ok = 'None';
    }
    assert.equal(ok, answer, `${fn}(${args.join(', ')})`);
  }
});

test('failures carry their codes', () => {
  const s = store(['foo', 'name=al,type=alias,alias=foo', 'name=f,collector=file,arg1=/nonexistent']);
  assert.throws(() => s.update('nosuch', 'inc', 1n), { code: 'ERR_METRIC_UNKNOWN' });
  assert.throws(() => s.update('worker.1.requests', 'set', 1n), { code: 'ERR_METRIC_READ_ONLY' });
  assert.throws(() => s.update('al', 'set', 1n), { code: 'ERR_METRIC_READ_ONLY' });
  assert.throws(() => s.update('f', 'set', 1n), { code: 'ERR_METRIC_READ_ONLY' });
  assert.throws(() => s.update('foo', 'div', 0n), { code: 'ERR_API_BAD_ARGUMENT' });
});

test('initial values are written once, at start', () => {
  const s = store(['name=g,type=gauge,initial_value=-5', 'name=a,type=absolute,initial_value=7']);
  assert.equal(s.get('g'), -5n);
  assert.equal(s.get('a'), 7n);
  assert.equal(s.update('g', 'inc', 10n), 5n);
});
