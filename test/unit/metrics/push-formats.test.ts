// What statsd, socket and carbon receive, byte for byte as uWSGI 2.0.21 sent it (recorded by a
// UDP and a TCP listener: test/fixtures/metrics/uwsgi-stats-push.json, uwsgi-carbon.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  type CarbonHistory,
  carbonMetricLines,
  carbonPrefix,
  carbonWorkerLines,
  parseIdleAvg,
} from '../../../src/metrics/carbon.js';
import { METRIC_TYPES, type MetricType } from '../../../src/metrics/metric-spec.js';
import { parseStatsPush, socketDatagram, statsdDatagram } from '../../../src/metrics/stats-pushers.js';

const fixture = <T>(name: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/metrics/${name}`, import.meta.url), 'utf8')) as T;

const stats = fixture<{ stats: { metrics: Record<string, { type: number }> } }>('uwsgi-stats-metrics.json');
const push = fixture<{ statsd: Array<{ data: string }>; socket: Array<{ data: string }> }>(
  'uwsgi-stats-push.json',
);
const carbon = fixture<{ plain: Array<{ lines: string[] }>; metrics: Array<{ lines: string[] }> }>(
  'uwsgi-carbon.json',
);

const TYPE_NAMES = Object.fromEntries(Object.entries(METRIC_TYPES).map(([k, v]) => [v, k])) as Record<
  number,
  MetricType
>;
const typeOf = (name: string): MetricType => {
  const m = stats.stats.metrics[name];
  assert.ok(m, name);
  return TYPE_NAMES[m.type] as MetricType;
};

test('statsd datagrams: PREFIX.NAME:VALUE|g for gauges, |c for the others', () => {
  assert.ok(push.statsd.length > 50);
  for (const { data } of push.statsd) {
    const m = /^pfx\.(.+):(-?[0-9]+)\|[cg]$/.exec(data);
    assert.ok(m?.[1] && m[2], data);
    assert.equal(statsdDatagram('pfx', { name: m[1], type: typeOf(m[1]), value: BigInt(m[2]) }), data);
  }
});

test('socket datagrams: PREFIX.NAME TYPE VALUE, uwsgi the default prefix', () => {
  for (const { data } of push.socket) {
    const m = /^uwsgi\.(\S+) ([0-3]) (-?[0-9]+)$/.exec(data);
    assert.ok(m?.[1] && m[3], data);
    assert.equal(socketDatagram('uwsgi', { name: m[1], type: typeOf(m[1]), value: BigInt(m[3]) }), data);
  }
});

test('stats-push parsing: addresses, prefixes, refused pushers', () => {
  const s = parseStatsPush('statsd:127.0.0.1:8125,myinstance', 'cli');
  assert.deepEqual([s.name, s.host, s.port, s.prefix], ['statsd', '127.0.0.1', 8125, 'myinstance']);
  assert.equal(parseStatsPush('socket:[::1]:9000', 'cli').prefix, 'uwsgi');
  assert.equal(parseStatsPush('socket:[::1]:9000', 'cli').host, '::1');
  for (const bad of [
    'rrdtool:/tmp/rrd',
    'zabbix:127.0.0.1:10051',
    'mongodb:addr=x',
    'nope:1',
    'statsd:nohost',
  ])
    assert.throws(() => parseStatsPush(bad, 'cli'), { code: 'ERR_CONFIG_BAD_VALUE' }, bad);
});

test('carbon, metrics mode: ROOT.HOST.ID.NAME VALUE EPOCH (negative values signed, not as uWSGI)', () => {
  const lines = carbon.metrics[1]?.lines ?? [];
  assert.ok(lines.length > 50);
  const prefix = carbonPrefix('croot', 'vm', 'myid', '_');
  for (const line of lines) {
    const m = /^croot\.vm\.myid\.(\S+) ([0-9]+) ([0-9]+)$/.exec(line);
    assert.ok(m?.[1] && m[2] && m[3], line);
    // uWSGI 2.0.21 prints int64 as unsigned: -4 was 18446744073709551612
    const value = BigInt.asIntN(64, BigInt(m[2]));
    const ours = carbonMetricLines(prefix, [{ name: m[1], type: 'counter', value }], Number(m[3]))[0];
    assert.equal(ours, value < 0n ? `croot.vm.myid.${m[1]} ${value} ${m[3]}` : line);
  }
});

test('carbon, plain mode: the recorded push after 3 requests', () => {
  const lines = carbon.plain[1]?.lines ?? [];
  const get = (key: string) => {
    const line = lines.find((l) => l.startsWith(`uwsgi.vm.127_0_0_1:9301.${key} `));
    assert.ok(line, key);
    return Number(line.split(' ')[1]);
  };
  const epoch = Number(lines[0]?.split(' ')[2]);
  const workers = [1, 2].map((id) => ({
    id,
    requests: get(`worker${id}.requests`),
    avgRt: get(`worker${id}.avg_rt`),
    tx: get(`worker${id}.tx`),
    busyUs: 0,
    harakiri: 0,
  }));
  const prefix = carbonPrefix('uwsgi', 'vm', '127.0.0.1:9301', undefined);
  assert.equal(prefix, 'uwsgi.vm.127_0_0_1:9301');
  const ours = carbonWorkerLines(prefix, workers, new Map(), 1e6, epoch, {
    noWorkers: false,
    idleAvg: 'last',
  });
  assert.deepEqual(ours, lines);
});

test('carbon busyness, idle averages, no-workers', () => {
  const history: CarbonHistory = new Map();
  const w = (requests: number, busyUs: number) => [
    { id: 1, requests, avgRt: 500, tx: 10, busyUs, harakiri: 1 },
  ];
  const opts = { noWorkers: false, idleAvg: parseIdleAvg('zero') };
  carbonWorkerLines('p', w(2, 800_000), history, 2e6, 1, opts);
  // no new request: avg_rt 0 with idle-avg zero; busy 1 s of 2 s
  const lines = carbonWorkerLines('p', w(2, 1_800_000), history, 2e6, 2, opts);
  assert.ok(lines.includes('p.worker1.avg_rt 0 2'));
  assert.ok(lines.includes('p.worker1.busyness 50 2'));
  assert.ok(lines.includes('p.busyness 50 2'));
  const none = carbonWorkerLines('p', w(2, 1_800_000), history, 2e6, 3, { noWorkers: true, idleAvg: 'none' });
  assert.deepEqual(none, [
    'p.requests 2 3',
    'p.tx 10 3',
    'p.busyness 0 3',
    'p.active_workers 1 3',
    'p.harakiri 1 3',
  ]);
  assert.throws(() => parseIdleAvg('sometimes'), { code: 'ERR_CONFIG_BAD_VALUE' });
  assert.equal(carbonPrefix('uwsgi', 'a.b.c', 'x.y', '_'), 'uwsgi.a_b_c.x_y');
});
