// Metrics against the real CLI (issue "Shared services" point 4): two workers increment one manual
// metric through the app API (exact total), the built-in and collected metrics follow, the stats
// document, Prometheus /metrics and metrics-dir show them as uWSGI 2.0.21 does, and a statsd
// (UDP) and a carbon (TCP) listener receive uWSGI's formats.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { httpGet } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

const APP = 'test/fixtures/metrics/metrics-app.mjs';

type Metrics = Record<string, { type: number; oid: string; value: number }>;

async function statsHttp(port: number, path: string): Promise<string> {
  const reply = await httpGet(port, path);
  assert.equal(reply.status, 200);
  return reply.body;
}

/** Polls the stats document until `ok` holds (the master collects once a second). */
async function metricsWhen(port: number, ok: (m: Metrics) => boolean, timeoutMs = 8000): Promise<Metrics> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const doc = JSON.parse(await statsHttp(port, '/')) as { metrics?: Metrics };
    assert.ok(doc.metrics, 'the stats document has a metrics object');
    if (ok(doc.metrics) || Date.now() > until) return doc.metrics;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('metrics across 2 workers: API, stats, Prometheus, metrics-dir', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-metrics-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServer([
    '--master',
    '--processes',
    '2',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--metric',
    'foo',
    '--metric',
    'name=g,type=gauge,initial_value=-5',
    '--metric',
    'name=al,type=alias,alias=foo',
    '--metric',
    'name=reqs,collector=sum,children=worker.1.requests;worker.2.requests',
    '--stats',
    '127.0.0.1:0',
    '--stats-http',
    '--metrics-dir',
    dir,
    '--disable-logging',
  ]);
  t.after(() => server.close());
  const statsPort = Number((await server.waitFor(/Stats server enabled on \S*:(\d+)/))[1]);
  assert.match(server.log(), /added custom metric: foo\n/);
  assert.match(server.log(), /initialized 58 metrics\n/);

  const replies = await Promise.all(
    Array.from({ length: 40 }, () => httpGet(server.port, '/op?op=inc&name=foo')),
  );
  // every increment is seen once, whichever worker made it
  assert.deepEqual(
    replies.map((r) => Number(r.body)).sort((a, b) => a - b),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  assert.equal((await httpGet(server.port, '/get?name=foo')).body, '40');
  assert.equal((await httpGet(server.port, '/get?name=al')).body, '40');
  assert.equal((await httpGet(server.port, '/get?name=g')).body, '-5');
  assert.equal((await httpGet(server.port, '/op?op=mul&name=g&v=3')).body, '-15');
  assert.equal((await httpGet(server.port, '/op?op=div&name=g&v=2')).body, '-7');
  assert.equal((await httpGet(server.port, '/op?op=div&name=g&v=0')).body, 'ERR_API_BAD_ARGUMENT');
  assert.equal(
    (await httpGet(server.port, '/op?op=inc&name=worker.1.requests')).body,
    'ERR_METRIC_READ_ONLY',
  );
  assert.equal((await httpGet(server.port, '/op?op=inc&name=al')).body, 'ERR_METRIC_READ_ONLY');
  assert.equal((await httpGet(server.port, '/get?name=nosuch')).body, 'ERR_METRIC_UNKNOWN');

  const served = 40 + 3 + 3 + 3;
  const m = await metricsWhen(
    statsPort,
    (x) => (x['worker.0.requests']?.value ?? 0) >= served && (x['reqs']?.value ?? 0) >= served,
  );
  const w1 = m['worker.1.requests']?.value ?? 0;
  const w2 = m['worker.2.requests']?.value ?? 0;
  assert.ok(w1 > 0 && w2 > 0, `both workers served (${w1}, ${w2})`);
  assert.equal(m['worker.0.requests']?.value, w1 + w2);
  assert.equal(m['reqs']?.value, w1 + w2);
  assert.deepEqual(m['foo'], { type: 0, oid: '', value: 40 });
  assert.deepEqual(m['al'], { type: 3, oid: '', value: 40 });
  assert.deepEqual(m['g'], { type: 1, oid: '', value: -7 });
  assert.deepEqual(m['worker.1.requests'], { type: 0, oid: '3.1.1', value: w1 });
  assert.equal(m['core.idle_workers']?.value, 2);
  assert.ok((m['core.total_rss']?.value ?? 0) > 0);
  assert.equal(m['rss_size']?.value, m['core.total_rss']?.value);

  // the raw document: uWSGI's `metrics` lock and tabs
  const raw = await new Promise<string>((resolve, reject) => {
    const s = net.connect(statsPort, '127.0.0.1', () => s.write('GET / HTTP/1.0\r\n\r\n'));
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
    });
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
  assert.match(
    raw,
    /\{\n\t\t\t"snmp":0\n\t\t\},\n\t\t\{\n\t\t\t"metrics":0\n\t\t\}\n\t\],\n\t"metrics":\t\{\n\t\t"core\.routed_signals":\t\t\{/,
  );

  const prom = await statsHttp(statsPort, '/metrics');
  assert.match(prom, /# TYPE uwsgi_metric_foo counter\nuwsgi_metric_foo 40\n/);
  assert.match(prom, /# TYPE uwsgi_metric_g gauge\nuwsgi_metric_g -7\n/);
  assert.match(prom, new RegExp(`uwsgi_metric_worker_0_requests ${w1 + w2}\\n`));

  // metrics-dir: one 4096-byte page per metric, the value and a newline, NULs after
  await metricsWhen(statsPort, () => readFileSync(join(dir, 'foo')).subarray(0, 3).toString() === '40\n');
  const foo = readFileSync(join(dir, 'foo'));
  assert.equal(foo.length, 4096);
  assert.equal(foo.subarray(0, 3).toString(), '40\n');
  assert.ok(foo.subarray(3).every((b) => b === 0));
  assert.equal(readFileSync(join(dir, 'worker.0.requests')).toString().replace(/\0+$/, ''), `${w1 + w2}\n`);
  assert.ok(
    readFileSync(join(dir, 'core.busy_workers')).every((b) => b === 0),
    'a metric at 0 is the zeroed page',
  );
});

test('metrics-dir-restore brings the values back after a restart', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-metrics-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const args = [
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--metric',
    'kept',
    '--metrics-dir',
    dir,
    '--metrics-dir-restore',
    '--disable-logging',
  ];
  const first = await startServer(args);
  assert.equal((await httpGet(first.port, '/op?op=set&name=kept&v=1234')).body, '1234');
  const until = Date.now() + 5000;
  while (!readFileSync(join(dir, 'kept')).toString().startsWith('1234\n') && Date.now() < until)
    await new Promise((r) => setTimeout(r, 100));
  await first.close();
  const second = await startServer(args);
  t.after(() => second.close());
  assert.equal((await httpGet(second.port, '/get?name=kept')).body, '1234');
});

test('stats-push to statsd (UDP) and carbon (TCP) in uWSGI formats', { timeout: 60_000 }, async (t) => {
  const udp = dgram.createSocket('udp4');
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  t.after(() => udp.close());
  const datagrams: string[] = [];
  udp.on('message', (m) => datagrams.push(m.toString()));
  const carbonConnections: string[] = [];
  const carbon = net.createServer((s) => {
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
    });
    s.on('end', () => carbonConnections.push(text));
  });
  carbon.listen(0, '127.0.0.1');
  await once(carbon, 'listening');
  t.after(() => carbon.close());
  const udpPort = udp.address().port;
  const carbonPort = (carbon.address() as net.AddressInfo).port;

  const server = await startServer([
    '--master',
    '--processes',
    '2',
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--metric',
    'foo',
    '--metric',
    'name=g,type=gauge,initial_value=-5',
    '--stats-push',
    `statsd:127.0.0.1:${udpPort},pfx`,
    '--stats-pusher-default-freq',
    '1',
    '--carbon',
    `127.0.0.1:${carbonPort}`,
    '--carbon-freq',
    '1',
    '--disable-logging',
  ]);
  t.after(() => server.close());
  assert.match(server.log(), new RegExp(`\\[carbon\\] added server 127\\.0\\.0\\.1:${carbonPort}\\n`));
  assert.match(server.log(), /\[carbon\] carbon plugin started, 1s frequency, 3s timeout/);
  for (let i = 0; i < 3; i++) await httpGet(server.port, '/op?op=inc&name=foo');

  const until = Date.now() + 10_000;
  const id = `uwsgi\\.${hostname().replace(/\./g, '\\.')}\\.127_0_0_1:${server.port}`;
  const carbonDone = () =>
    carbonConnections.some((c) => new RegExp(`^${id}\\.requests 3 \\d+$`, 'm').test(c));
  while ((!datagrams.includes('pfx.foo:3|c') || !carbonDone()) && Date.now() < until)
    await new Promise((r) => setTimeout(r, 100));
  assert.ok(datagrams.includes('pfx.foo:3|c'), datagrams.slice(-70).join('\n'));
  assert.ok(datagrams.includes('pfx.g:-5|g'));
  assert.ok(datagrams.includes('pfx.core.idle_workers:2|g'));
  assert.ok(
    datagrams.includes('pfx.rss_size:0|c') || datagrams.some((d) => /^pfx\.rss_size:\d+\|c$/.test(d)),
  );
  for (const d of datagrams) assert.match(d, /^pfx\.[A-Za-z0-9_.-]+:-?\d+\|[cg]$/);

  assert.ok(carbonDone(), carbonConnections.at(-1));
  const push = carbonConnections.find((c) => new RegExp(`^${id}\\.requests 3 `, 'm').test(c)) ?? '';
  const keys = push
    .trim()
    .split('\n')
    .map((line) => {
      const m = new RegExp(`^${id}\\.(\\S+) (\\d+) (\\d+)$`).exec(line);
      assert.ok(m, line);
      assert.ok(Math.abs(Number(m[3]) - Date.now() / 1000) < 10);
      return m[1];
    });
  assert.deepEqual(keys, [
    'requests',
    'worker1.requests',
    'worker1.avg_rt',
    'worker1.tx',
    'worker1.busyness',
    'worker1.harakiri',
    'worker2.requests',
    'worker2.avg_rt',
    'worker2.tx',
    'worker2.busyness',
    'worker2.harakiri',
    'avg_rt',
    'tx',
    'busyness',
    'active_workers',
    'harakiri',
  ]);
});

test('%(metric.NAME) in log-format prints the metric as the request ends', { timeout: 30_000 }, async (t) => {
  const server = await startServer([
    '--http-socket',
    '127.0.0.1:0',
    '--app',
    APP,
    '--metric',
    'foo',
    '--log-format',
    'foo=%(metric.foo) none=%(metric.nope) %(uri)',
  ]);
  t.after(() => server.close());
  await httpGet(server.port, '/op?op=inc&name=foo');
  await httpGet(server.port, '/op?op=inc&name=foo');
  await server.waitFor(/foo=2 none=0 \/op\?op=inc&name=foo/);
});
