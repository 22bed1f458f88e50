// The stats document in Prometheus' text exposition format (ours, on the stats-http server at
// /metrics): the instance and per-worker counters, labelled by worker id, then the spoolers',
// mules' and attached daemons' rows when the instance has them.

import type { StatsObject, StatsValue } from './stats-json.js';

const num = (v: StatsValue | undefined): number => (typeof v === 'number' ? v : 0);

const WORKER_METRICS: ReadonlyArray<readonly [string, string, 'counter' | 'gauge', string]> = [
  ['requests', 'uwsgi_worker_requests_total', 'counter', 'requests served by the worker'],
  ['exceptions', 'uwsgi_worker_exceptions_total', 'counter', 'app exceptions in the worker'],
  ['harakiri_count', 'uwsgi_worker_harakiri_total', 'counter', 'harakiri kills of the worker'],
  ['tx', 'uwsgi_worker_tx_bytes_total', 'counter', 'bytes sent by the worker'],
  ['running_time', 'uwsgi_worker_running_time_microseconds_total', 'counter', 'time spent in requests'],
  ['avg_rt', 'uwsgi_worker_avg_response_time_microseconds', 'gauge', 'running average response time'],
  ['rss', 'uwsgi_worker_rss_bytes', 'gauge', 'resident memory of the worker'],
  ['respawn_count', 'uwsgi_worker_respawns_total', 'counter', 'times the worker was spawned'],
];

/** The other processes' rows of the stats document, one family per field, labelled by `label`. */
const ROW_SECTIONS: ReadonlyArray<{
  readonly section: string;
  readonly label: readonly [string, string];
  readonly metrics: ReadonlyArray<readonly [string, string, 'counter' | 'gauge', string]>;
}> = [
  {
    section: 'spoolers',
    label: ['dir', 'dir'],
    metrics: [
      ['tasks', 'uwsgi_spooler_tasks_total', 'counter', 'tasks handled by the spooler'],
      ['running', 'uwsgi_spooler_running', 'gauge', '1 while the spooler runs a task'],
      ['respawns', 'uwsgi_spooler_respawns_total', 'counter', 'times the spooler was respawned'],
    ],
  },
  {
    section: 'mules',
    label: ['mule', 'id'],
    metrics: [
      ['respawns', 'uwsgi_mule_respawns_total', 'counter', 'times the mule was respawned'],
      ['signal', 'uwsgi_mule_signal', 'gauge', 'the signal whose handler the mule runs (0: none)'],
    ],
  },
  {
    section: 'daemons',
    label: ['cmd', 'cmd'],
    metrics: [['respawns', 'uwsgi_daemon_respawns_total', 'counter', 'times the daemon was respawned']],
  },
];

/** A label value as the exposition format quotes it. */
function labelValue(v: StatsValue | undefined): string {
  return String(v ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

function rowFamilies(doc: StatsObject): string {
  let out = '';
  for (const { section, label, metrics } of ROW_SECTIONS) {
    const rows = doc[section];
    if (!Array.isArray(rows)) continue;
    for (const [key, name, type, help] of metrics) {
      out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
      for (const row of rows as StatsObject[]) {
        out += `${name}{${label[0]}="${labelValue(row[label[1]])}"} ${num(row[key])}\n`;
      }
    }
  }
  return out;
}

export function prometheusText(doc: StatsObject): string {
  const workers = (Array.isArray(doc['workers']) ? doc['workers'] : []) as StatsObject[];
  let out = '';
  const gauge = (name: string, help: string, value: number) => {
    out += `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${value}\n`;
  };
  gauge('uwsgi_listen_queue', 'connections waiting in the listen queues', num(doc['listen_queue']));
  gauge('uwsgi_workers', 'worker processes', workers.length);
  gauge(
    'uwsgi_workers_busy',
    'workers serving a request',
    workers.filter((w) => w['status'] === 'busy').length,
  );
  for (const [key, name, type, help] of WORKER_METRICS) {
    out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    for (const w of workers) out += `${name}{worker="${num(w['id'])}"} ${num(w[key])}\n`;
  }
  return out + rowFamilies(doc) + metricFamilies(doc['metrics']);
}

/** uWSGI metric types (stats `type`): counter 0, gauge 1, absolute 2, alias 3. */
const PROMETHEUS_TYPES: Readonly<Record<number, 'counter' | 'gauge'>> = {
  0: 'counter',
  1: 'gauge',
  2: 'gauge',
  3: 'gauge',
};

/**
 * The metrics subsystem (src/metrics/), one family per metric: `worker.1.requests` becomes
 * `uwsgi_metric_worker_1_requests`; the uWSGI name is kept in the HELP line. A name that maps to
 * a family already written is skipped (`a.b` and `a_b`).
 */
function metricFamilies(metrics: StatsValue | undefined): string {
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return '';
  let out = '';
  const seen = new Set<string>();
  for (const [name, m] of Object.entries(metrics)) {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) continue;
    const family = `uwsgi_metric_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    if (seen.has(family)) continue;
    seen.add(family);
    const type = PROMETHEUS_TYPES[num(m['type'])] ?? 'gauge';
    out += `# HELP ${family} uWSGI metric ${name}\n# TYPE ${family} ${type}\n${family} ${num(m['value'])}\n`;
  }
  return out;
}
