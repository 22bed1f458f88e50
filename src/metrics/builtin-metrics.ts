// The metrics uWSGI 2.0.21 creates by itself when the subsystem is on, with its names, oids,
// types and order (recorded: test/fixtures/metrics/uwsgi-stats-metrics.json). Each row says where
// the master's collector finds the value; `worker.0.*` is uWSGI's instance-wide slot (only its
// `requests` is filled: the sum of the workers').

import type { MetricType } from './metric-spec.js';

/** What a built-in metric shows (src/metrics/metrics-collector.ts fills it every second). */
export type BuiltinSource =
  | { readonly kind: 'core'; readonly field: CoreField }
  | { readonly kind: 'worker'; readonly worker: number; readonly field: WorkerField }
  | {
      readonly kind: 'worker-core';
      readonly worker: number;
      readonly core: number;
      readonly field: CoreRequestField;
    }
  | { readonly kind: 'socket'; readonly socket: number };

export type CoreField =
  | 'routed_signals'
  | 'unrouted_signals'
  | 'busy_workers'
  | 'idle_workers'
  | 'overloaded'
  | 'total_tx'
  | 'total_rss'
  | 'total_vsz'
  | 'avg_response_time'
  | 'total_running_time';

export type WorkerField =
  | 'requests'
  | 'delta_requests'
  | 'failed_requests'
  | 'respawns'
  | 'avg_response_time'
  | 'total_tx'
  | 'rss_size'
  | 'vsz_size'
  | 'running_time';

export type CoreRequestField =
  | 'requests'
  | 'write_errors'
  | 'routed_requests'
  | 'static_requests'
  | 'offloaded_requests'
  | 'exceptions'
  | 'read_errors';

export interface BuiltinMetric {
  readonly name: string;
  readonly oid: string;
  readonly type: MetricType;
  /** undefined for the two aliases (`rss_size`, `vsz_size`). */
  readonly source: BuiltinSource | undefined;
  readonly alias?: string;
}

/** [field, type, last oid part]: uWSGI 2.0.21 gives running_time the oid of failed_requests (13). */
const WORKER_ROWS: ReadonlyArray<readonly [WorkerField, MetricType, number]> = [
  ['requests', 'counter', 1],
  ['delta_requests', 'absolute', 2],
  ['failed_requests', 'counter', 13],
  ['respawns', 'counter', 14],
  ['avg_response_time', 'gauge', 8],
  ['total_tx', 'counter', 9],
  ['rss_size', 'gauge', 11],
  ['vsz_size', 'gauge', 12],
  ['running_time', 'counter', 13],
];

const CORE_ROWS: ReadonlyArray<readonly [CoreRequestField, number]> = [
  ['requests', 1],
  ['write_errors', 3],
  ['routed_requests', 4],
  ['static_requests', 5],
  ['offloaded_requests', 6],
  ['exceptions', 7],
  ['read_errors', 8],
];

export interface BuiltinFacts {
  readonly workers: number;
  /** Cores of each worker (threads x async). */
  readonly cores: number;
  readonly sockets: number;
  /** `metrics-no-cores`: no worker.N.core.M.* metrics. */
  readonly noCores: boolean;
}

export function builtinMetrics(facts: BuiltinFacts): BuiltinMetric[] {
  const out: BuiltinMetric[] = [];
  const core = (field: CoreField, type: MetricType, oid: string) =>
    out.push({ name: `core.${field}`, oid, type, source: { kind: 'core', field } });
  core('routed_signals', 'counter', '5.1');
  core('unrouted_signals', 'counter', '5.2');
  core('busy_workers', 'gauge', '5.3');
  core('idle_workers', 'gauge', '5.4');
  core('overloaded', 'counter', '5.5');
  for (let w = 0; w <= facts.workers; w++) {
    for (const [field, type, n] of WORKER_ROWS)
      out.push({
        name: `worker.${w}.${field}`,
        oid: `3.${w}.${n}`,
        type,
        source: { kind: 'worker', worker: w, field },
      });
    if (w === 0 || facts.noCores) continue;
    for (let c = 0; c < facts.cores; c++) {
      for (const [field, n] of CORE_ROWS) {
        out.push({
          name: `worker.${w}.core.${c}.${field}`,
          // uWSGI 2.0.21 puts the cores under the worker's oid 2 (that of delta_requests)
          oid: `3.${w}.2.${c}.${n}`,
          type: 'counter',
          source: { kind: 'worker-core', worker: w, core: c, field },
        });
      }
    }
  }
  core('total_tx', 'counter', '5.100');
  core('total_rss', 'gauge', '5.101');
  core('total_vsz', 'gauge', '5.102');
  core('avg_response_time', 'gauge', '5.103');
  core('total_running_time', 'counter', '5.104');
  for (let s = 0; s < facts.sockets; s++)
    out.push({
      name: `socket.${s}.listen_queue`,
      oid: `7.${s}.1`,
      type: 'gauge',
      source: { kind: 'socket', socket: s },
    });
  out.push({ name: 'rss_size', oid: '5.101', type: 'alias', source: undefined, alias: 'core.total_rss' });
  out.push({ name: 'vsz_size', oid: '5.102', type: 'alias', source: undefined, alias: 'core.total_vsz' });
  return out;
}
