// `carbon = HOST:PORT` (seed manual "Integration with Graphite/Carbon"): every `carbon-freq`
// seconds the master opens a TCP connection to each server and writes plaintext-protocol lines
// `KEY VALUE EPOCH`, then closes, as uWSGI 2.0.21's carbon plugin does (recorded:
// test/fixtures/metrics/uwsgi-carbon.json). Keys are ROOT.HOSTNAME.ID.NAME; with
// `carbon-use-metrics` the names are the metrics', otherwise the plugin's own (requests,
// workerN.requests, avg_rt, tx, busyness, active_workers, harakiri).

import net from 'node:net';
import { UwsgiError } from '../errors.js';
import type { PushedMetric } from './stats-pushers.js';

export type IdleAvg = 'last' | 'zero' | 'none';
const IDLE_AVG: ReadonlySet<string> = new Set<IdleAvg>(['last', 'zero', 'none']);

export interface CarbonOptions {
  readonly servers: ReadonlyArray<{ readonly host: string; readonly port: number; readonly raw: string }>;
  readonly freqS: number;
  readonly timeoutS: number;
  /** ROOT.HOSTNAME.ID, the key of every line before the metric name. */
  readonly prefix: string;
  readonly noWorkers: boolean;
  readonly idleAvg: IdleAvg;
  readonly useMetrics: boolean;
  readonly maxRetry: number;
  readonly retryDelayS: number;
}

/** What the plugin reads of one worker. */
export interface CarbonWorker {
  readonly id: number;
  readonly requests: number;
  /** µs, the worker's running average. */
  readonly avgRt: number;
  readonly tx: number;
  /** µs spent with a request in flight, since the worker started. */
  readonly busyUs: number;
  readonly harakiri: number;
}

/** The carbon key prefix: root, hostname (dots replaced on request), id (dots always replaced). */
export function carbonPrefix(
  root: string,
  hostname: string,
  id: string,
  hostnameDots: string | undefined,
): string {
  const host = hostnameDots === undefined ? hostname : hostname.split('.').join(hostnameDots);
  return `${root}.${host}.${id.split('.').join('_')}`;
}

export function parseIdleAvg(value: string | undefined): IdleAvg {
  const v = value ?? 'last';
  if (!IDLE_AVG.has(v))
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `carbon-idle-avg "${v}": give last, zero or none`);
  return v as IdleAvg;
}

/** Lines of the metrics mode: every metric, as a signed value (uWSGI 2.0.21 prints it unsigned). */
export function carbonMetricLines(prefix: string, metrics: readonly PushedMetric[], epoch: number): string[] {
  return metrics.map((m) => `${prefix}.${m.name} ${m.value} ${epoch}`);
}

/** Per-worker counters at the previous push, for busyness and idle detection. */
export type CarbonHistory = Map<number, { readonly requests: number; readonly busyUs: number }>;

/** Lines of the plain mode; `history` is read and then updated to this push. */
export function carbonWorkerLines(
  prefix: string,
  workers: readonly CarbonWorker[],
  history: CarbonHistory,
  intervalUs: number,
  epoch: number,
  options: { readonly noWorkers: boolean; readonly idleAvg: IdleAvg },
): string[] {
  const lines: string[] = [];
  const line = (key: string, value: number) => lines.push(`${prefix}.${key} ${value} ${epoch}`);
  line(
    'requests',
    workers.reduce((n, w) => n + w.requests, 0),
  );
  const avgs: number[] = [];
  const busy: number[] = [];
  for (const w of workers) {
    const before = history.get(w.id) ?? { requests: 0, busyUs: 0 };
    const idle = w.requests === before.requests;
    // the share of the interval spent serving, in percent
    const busyness =
      intervalUs > 0
        ? Math.min(100, Math.max(0, Math.round(((w.busyUs - before.busyUs) * 100) / intervalUs)))
        : 0;
    const avg = idle && options.idleAvg === 'zero' ? 0 : w.avgRt;
    const pushAvg = !(idle && options.idleAvg === 'none');
    if (pushAvg) avgs.push(avg);
    busy.push(busyness);
    history.set(w.id, { requests: w.requests, busyUs: w.busyUs });
    if (options.noWorkers) continue;
    line(`worker${w.id}.requests`, w.requests);
    if (pushAvg) line(`worker${w.id}.avg_rt`, avg);
    line(`worker${w.id}.tx`, w.tx);
    line(`worker${w.id}.busyness`, busyness);
    line(`worker${w.id}.harakiri`, w.harakiri);
  }
  const mean = (values: readonly number[]) =>
    values.length === 0 ? 0 : Math.floor(values.reduce((a, b) => a + b, 0) / values.length);
  if (avgs.length > 0 || options.idleAvg !== 'none') line('avg_rt', mean(avgs));
  line(
    'tx',
    workers.reduce((n, w) => n + w.tx, 0),
  );
  line('busyness', mean(busy));
  line('active_workers', workers.length);
  line(
    'harakiri',
    workers.reduce((n, w) => n + w.harakiri, 0),
  );
  return lines;
}

/** Sends one push to every server: a connection each, the lines, close. */
export class CarbonPusher {
  constructor(
    readonly options: CarbonOptions,
    private readonly log: (line: string) => void,
  ) {
    for (const s of options.servers) log(`[carbon] added server ${s.raw}`);
    log(
      `[carbon] carbon plugin started, ${options.freqS}s frequency, ${options.timeoutS}s timeout, max retries ${options.maxRetry}, retry delay ${options.retryDelayS}s`,
    );
  }

  push(lines: readonly string[]): void {
    const payload = `${lines.join('\n')}\n`;
    for (const server of this.options.servers) this.send(server, payload, this.options.maxRetry);
  }

  private send(server: CarbonOptions['servers'][number], payload: string, retries: number): void {
    const socket = net.connect({ host: server.host, port: server.port });
    socket.setTimeout(this.options.timeoutS * 1000);
    let failed = false;
    const fail = (why: string) => {
      if (failed) return;
      failed = true;
      socket.destroy();
      this.log(`[carbon] unable to push to ${server.raw}: ${why}`);
      if (retries > 0) {
        setTimeout(() => this.send(server, payload, retries - 1), this.options.retryDelayS * 1000).unref();
      }
    };
    socket.on('timeout', () => fail('timeout'));
    socket.on('error', (err) => fail(err.message));
    socket.on('connect', () => socket.end(payload));
    socket.unref();
  }
}
