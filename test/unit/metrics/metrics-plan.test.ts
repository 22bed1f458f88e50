// The metric list matches uWSGI 2.0.21's: the same names, oids and types in the same order
// (recorded for 2 workers, 1 socket and 5 custom metrics), aliases sharing their target's slot.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { METRIC_TYPES, parseMetricOption } from '../../../src/metrics/metric-spec.js';
import { buildMetricDefs } from '../../../src/metrics/metrics-plan.js';

interface Recorded {
  stats: { metrics: Record<string, { type: number; oid: string; value: number }> };
}
const recorded = JSON.parse(
  readFileSync(new URL('../../fixtures/metrics/uwsgi-stats-metrics.json', import.meta.url), 'utf8'),
) as Recorded;

const CUSTOM = [
  'foo',
  'name=g,type=gauge,initial_value=-5',
  'name=ab,type=absolute,initial_value=7,oid=100.1',
  'name=al,type=alias,alias=foo',
  'name=s,collector=sum,children=worker.1.requests;worker.2.requests',
];

const specs = (texts: readonly string[]) =>
  texts.map((t) => ({ spec: parseMetricOption(t, 'cli'), where: 'cli' }));

test('names, oids, types and order are uWSGI 2.0.21s', () => {
  const { metrics } = buildMetricDefs({ workers: 2, cores: 1, sockets: 1, noCores: false }, specs(CUSTOM));
  const ours = metrics.map((m) => [m.name, METRIC_TYPES[m.type], m.oid]);
  const theirs = Object.entries(recorded.stats.metrics).map(([name, m]) => [name, m.type, m.oid]);
  assert.deepEqual(ours, theirs);
});

test('aliases read their target; only manual custom metrics are writable', () => {
  const { metrics, slots } = buildMetricDefs(
    { workers: 1, cores: 2, sockets: 2, noCores: false },
    specs(CUSTOM.slice(0, 4)),
  );
  const by = new Map(metrics.map((m) => [m.name, m]));
  assert.equal(by.get('al')?.slot, by.get('foo')?.slot);
  assert.equal(by.get('rss_size')?.slot, by.get('core.total_rss')?.slot);
  assert.equal(slots, metrics.length - 3);
  assert.ok(by.has('worker.1.core.1.read_errors'));
  assert.ok(by.has('socket.1.listen_queue'));
  assert.deepEqual(
    metrics.filter((m) => m.writable).map((m) => m.name),
    ['foo', 'g', 'ab'],
  );
});

test('metrics-no-cores drops the per-core metrics', () => {
  const { metrics } = buildMetricDefs({ workers: 2, cores: 4, sockets: 1, noCores: true }, []);
  assert.equal(
    metrics.some((m) => m.name.includes('.core.')),
    false,
  );
});

test('unknown alias targets and children, and duplicate names, are refused', () => {
  const facts = { workers: 1, cores: 1, sockets: 1, noCores: false };
  for (const bad of [
    ['name=a,type=alias,alias=nosuch'],
    ['name=s,collector=sum,children=nosuch'],
    ['foo', 'foo'],
    ['worker.1.requests'],
  ]) {
    assert.throws(() => buildMetricDefs(facts, specs(bad)), { code: 'ERR_CONFIG_BAD_VALUE' }, bad.join(' '));
  }
});
