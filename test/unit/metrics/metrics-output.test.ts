// How the metrics show: metrics-dir files laid out as uWSGI 2.0.21's (4096 bytes, value and newline,
// NULs), read back by metrics-dir-restore; the stats document's metrics object rendered with
// uWSGI's tabs and its `metrics` lock; Prometheus families.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { METRIC_FILE_SIZE, MetricsDir, parseMetricFile } from '../../../src/metrics/metrics-dir.js';
import { prometheusText } from '../../../src/stats/prometheus.js';
import { renderStats } from '../../../src/stats/stats-json.js';

const recorded = JSON.parse(
  readFileSync(new URL('../../fixtures/metrics/uwsgi-stats-metrics.json', import.meta.url), 'utf8'),
) as { metricsDir: Record<string, { size: number; text: string }>; rawSnippets: string[] };

test('metrics-dir files: one page each, the value and a newline, NULs after', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-mdir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'stale'), '999\n');
  const files = new MetricsDir(dir, ['a', 'b', 'stale']);
  t.after(() => files.close());
  files.update('a', 1234n);
  files.update('b', 0n);
  const a = readFileSync(join(dir, 'a'));
  assert.equal(a.length, METRIC_FILE_SIZE);
  assert.equal(a.subarray(0, 5).toString(), '1234\n');
  assert.ok(a.subarray(5).every((byte) => byte === 0));
  // a metric still at 0 is the zeroed page, as uWSGI leaves it; a stale file is cleared
  assert.ok(readFileSync(join(dir, 'b')).every((byte) => byte === 0));
  assert.ok(readFileSync(join(dir, 'stale')).every((byte) => byte === 0));
  files.update('a', 7n);
  const shorter = readFileSync(join(dir, 'a'));
  assert.equal(shorter.subarray(0, 2).toString(), '7\n');
  assert.ok(shorter.subarray(2).every((byte) => byte === 0));
  files.update('a', 0n);
  assert.equal(readFileSync(join(dir, 'a')).subarray(0, 2).toString(), '0\n');
  assert.equal(MetricsDir.restore(dir, ['a', 'b', 'gone']).get('a'), 0n);
  files.update('a', -12n);
  assert.deepEqual(
    [...MetricsDir.restore(dir, ['a', 'b', 'gone'])],
    [
      ['a', -12n],
      ['b', 0n],
    ],
  );
  assert.ok((statSync(join(dir, 'a')).mode & 0o777) <= 0o660);
});

test('the recorded uWSGI files parse to their values', () => {
  for (const [name, f] of Object.entries(recorded.metricsDir)) {
    assert.equal(f.size, METRIC_FILE_SIZE, name);
    const page = Buffer.alloc(f.size);
    page.write(f.text);
    assert.equal(parseMetricFile(page), f.text === '' ? 0n : BigInt(f.text.trim()), name);
  }
});

test('the metrics object renders with uWSGI 2.0.21s tabs', () => {
  const doc = {
    locks: [{ snmp: 0 }, { metrics: 0 }],
    metrics: {
      'core.routed_signals': { type: 0, oid: '5.1', value: 0 },
      'core.unrouted_signals': { type: 0, oid: '5.2', value: 0 },
      foo: { type: 0, oid: '', value: 0 },
    },
    sockets: [],
  };
  const text = renderStats(doc, false);
  const [head, tail] = recorded.rawSnippets;
  assert.ok(head && text.includes(head), text);
  assert.ok(tail && text.includes(tail), text);
});

test('Prometheus: one family per metric, counters and gauges', () => {
  const text = prometheusText({
    workers: [],
    metrics: {
      'worker.1.requests': { type: 0, oid: '3.1.1', value: 42 },
      'core.busy_workers': { type: 1, oid: '5.3', value: 1 },
      'my-metric': { type: 2, oid: '', value: -3 },
      my_metric: { type: 0, oid: '', value: 9 },
    },
  });
  assert.match(text, /# TYPE uwsgi_metric_worker_1_requests counter\nuwsgi_metric_worker_1_requests 42\n/);
  assert.match(text, /# TYPE uwsgi_metric_core_busy_workers gauge\nuwsgi_metric_core_busy_workers 1\n/);
  assert.match(text, /uwsgi_metric_my_metric -3\n/);
  assert.doesNotMatch(text, /uwsgi_metric_my_metric 9/);
});

test('Prometheus: the spoolers, mules and daemons rows, labelled, only when the instance has them', () => {
  const text = prometheusText({
    workers: [],
    spoolers: [
      { dir: '/var/spool/a', pid: 10, tasks: 7, respawns: 1, running: 1 },
      { dir: '/var/spool/"b"', pid: 11, tasks: 0, respawns: 0, running: 0 },
    ],
    mules: [{ id: 1, pid: 12, respawns: 2, signal: 17, farms: ['f'] }],
    daemons: [{ cmd: 'memcached -p 11311', pid: 13, respawns: 3 }],
  });
  assert.match(
    text,
    /# TYPE uwsgi_spooler_tasks_total counter\nuwsgi_spooler_tasks_total\{dir="\/var\/spool\/a"\} 7\n/,
  );
  assert.match(text, /uwsgi_spooler_tasks_total\{dir="\/var\/spool\/\\"b\\""\} 0\n/);
  assert.match(text, /uwsgi_spooler_running\{dir="\/var\/spool\/a"\} 1\n/);
  assert.match(text, /uwsgi_mule_respawns_total\{mule="1"\} 2\n/);
  assert.match(text, /uwsgi_mule_signal\{mule="1"\} 17\n/);
  assert.match(text, /uwsgi_daemon_respawns_total\{cmd="memcached -p 11311"\} 3\n/);
  assert.doesNotMatch(prometheusText({ workers: [] }), /spooler|mule|daemon/);
});
