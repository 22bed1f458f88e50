// Metrics from an app (uWSGI: `uwsgi.metric_get(name)`, `metric_set`, `metric_inc`, `metric_dec`,
// `metric_mul`, `metric_div`, `metric_set_max`, `metric_set_min`; seed manual "The Metrics
// subsystem"). Values are 64-bit integers in the instance's shared memory: every worker sees a
// change at once, arithmetic wraps at 64 bits and divides toward zero, as in uWSGI. Only manual
// metrics (`metric = NAME`, no collector) can be changed; the built-in ones (`worker.1.requests`)
// and collected ones are read-only. Numbers beyond 2^53 lose precision as JS numbers: pass and
// read bigints when that matters.

import { UwsgiError } from '../errors.js';
import { callRuntime } from './runtime.js';

type Op = 'set' | 'inc' | 'dec' | 'mul' | 'div' | 'max' | 'min';

function checkName(fn: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '')
    throw new UwsgiError('ERR_API_BAD_ARGUMENT', `${fn}(): the metric name must be a non-empty string`);
}

function int64(fn: string, value: unknown): bigint {
  if (typeof value === 'bigint') return BigInt.asIntN(64, value);
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
  throw new UwsgiError(
    'ERR_API_BAD_ARGUMENT',
    `${fn}(): the value must be a finite number or a bigint, got ${String(value)}`,
  );
}

function update(fn: string, name: string, op: Op, value: number | bigint): number {
  checkName(fn, name);
  return Number(callRuntime('metricUpdate', name, op, int64(fn, value)));
}

/**
 * The value of metric `name`. Throws ERR_METRIC_UNKNOWN for a name the instance does not have
 * (uWSGI's Python API answers 0 there), ERR_API_UNAVAILABLE when metrics are off.
 *
 * @example
 * ```ts
 * import { metricGet } from 'uwsgi-ts';
 * const served = metricGet('worker.0.requests'); // every worker's requests, as the master last collected them
 * ```
 */
export function metricGet(name: string): number {
  checkName('metricGet', name);
  return Number(callRuntime('metricGet', name));
}

/** metricGet() as a bigint: exact over the whole 64-bit range. */
export function metricGetBig(name: string): bigint {
  checkName('metricGetBig', name);
  return callRuntime('metricGet', name);
}

/**
 * Sets manual metric `name` to `value`; returns it.
 *
 * @example
 * ```ts
 * // uwsgi.ini: metric = name=active_users,type=gauge
 * import { metricSet } from 'uwsgi-ts';
 * metricSet('active_users', sessions.size);
 * ```
 */
export function metricSet(name: string, value: number | bigint): number {
  return update('metricSet', name, 'set', value);
}

/**
 * Adds `delta` (default 1) to manual metric `name`, atomically for the whole instance; returns
 * the new value.
 *
 * @example
 * ```ts
 * // uwsgi.ini: metric = signups
 * import { metricInc } from 'uwsgi-ts';
 * export default { fetch: () => { metricInc('signups'); return new Response('welcome'); } };
 * ```
 */
export function metricInc(name: string, delta: number | bigint = 1): number {
  return update('metricInc', name, 'inc', delta);
}

/**
 * Subtracts `delta` (default 1); returns the new value.
 *
 * @example
 * ```ts
 * import { metricDec } from 'uwsgi-ts';
 * metricDec('open_connections');
 * ```
 */
export function metricDec(name: string, delta: number | bigint = 1): number {
  return update('metricDec', name, 'dec', delta);
}

/**
 * Multiplies by `factor` (default 1); returns the new value.
 *
 * @example
 * ```ts
 * import { metricMul } from 'uwsgi-ts';
 * metricMul('backoff_ms', 2);
 * ```
 */
export function metricMul(name: string, factor: number | bigint = 1): number {
  return update('metricMul', name, 'mul', factor);
}

/**
 * Divides by `divisor` (default 1), rounding toward zero; returns the new value. A divisor of 0
 * throws ERR_API_BAD_ARGUMENT and leaves the metric as it was.
 *
 * @example
 * ```ts
 * import { metricDiv } from 'uwsgi-ts';
 * metricDiv('backoff_ms', 2);
 * ```
 */
export function metricDiv(name: string, divisor: number | bigint = 1): number {
  return update('metricDiv', name, 'div', divisor);
}

/**
 * Sets `name` to `value` only when `value` is greater (uWSGI's `metric_set_max`); returns the value
 * the metric holds afterwards.
 *
 * @example
 * ```ts
 * import { metricSetMax } from 'uwsgi-ts';
 * metricSetMax('peak_body_bytes', body.byteLength);
 * ```
 */
export function metricSetMax(name: string, value: number | bigint): number {
  return update('metricSetMax', name, 'max', value);
}

/**
 * Sets `name` to `value` only when `value` is lower (uWSGI's `metric_set_min`).
 *
 * @example
 * ```ts
 * import { metricSetMin } from 'uwsgi-ts';
 * metricSetMin('fastest_ms', elapsed);
 * ```
 */
export function metricSetMin(name: string, value: number | bigint): number {
  return update('metricSetMin', name, 'min', value);
}
