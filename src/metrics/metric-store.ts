// The metric values of an instance: one int64 per metric in shared memory, read and changed with
// Atomics (no lock: an add is one atomic instruction, mul/div/max/min a compare-and-swap loop), so
// the app API in any worker and the master's collector see the same numbers at once. Arithmetic
// wraps at 64 bits and divides toward zero, as uWSGI's int64_t does (recorded:
// test/fixtures/metrics/uwsgi-metric-api.json).

import { UwsgiError } from '../errors.js';
import type { MetricDef, MetricsPlan } from './metrics-plan.js';

/** What an app (or a route action) may do to a metric. */
export type MetricOp = 'set' | 'inc' | 'dec' | 'mul' | 'div' | 'max' | 'min';

type Apply = (now: bigint, by: bigint) => bigint;

/** Each operation as a pure function of the current value (a table: STYLE.md rule 1). */
const OPS: Readonly<Record<MetricOp, Apply>> = {
  set: (_now, by) => by,
  inc: (now, by) => now + by,
  dec: (now, by) => now - by,
  mul: (now, by) => now * by,
  div: (now, by) => now / by,
  max: (now, by) => (by > now ? by : now),
  min: (now, by) => (by < now ? by : now),
};

const wrap = (v: bigint) => BigInt.asIntN(64, v);

export class MetricStore {
  private readonly values: BigInt64Array;
  private readonly byName = new Map<string, MetricDef>();

  constructor(
    readonly plan: MetricsPlan,
    buffer: ArrayBufferLike,
  ) {
    this.values = new BigInt64Array(buffer, plan.offset, Math.max(1, plan.slots));
    for (const m of plan.metrics) this.byName.set(m.name, m);
  }

  get metrics(): readonly MetricDef[] {
    return this.plan.metrics;
  }

  find(name: string): MetricDef | undefined {
    return this.byName.get(name);
  }

  /** The value of a metric; undefined when there is no such metric. */
  get(name: string): bigint | undefined {
    const m = this.byName.get(name);
    return m === undefined ? undefined : Atomics.load(this.values, m.slot);
  }

  read(def: MetricDef): bigint {
    return Atomics.load(this.values, def.slot);
  }

  /** The collector's write (no check: built-ins and collected metrics are written here only). */
  write(def: MetricDef, value: bigint): void {
    Atomics.store(this.values, def.slot, wrap(value));
  }

  /**
   * An app's or a route's change to a manual metric; returns the new value. Throws
   * ERR_METRIC_UNKNOWN, ERR_METRIC_READ_ONLY (built-in, collected, alias: uWSGI refuses them too)
   * or ERR_API_BAD_ARGUMENT (a division by zero).
   */
  update(name: string, op: MetricOp, by: bigint): bigint {
    const m = this.byName.get(name);
    if (!m) throw new UwsgiError('ERR_METRIC_UNKNOWN', `metric "${name}" does not exist (metric = ${name})`);
    if (!m.writable) {
      throw new UwsgiError(
        'ERR_METRIC_READ_ONLY',
        `metric "${name}" is ${m.builtin ? 'built in' : m.type === 'alias' ? 'an alias' : `collected (${m.spec?.collector})`}: only manual metrics can be changed`,
      );
    }
    if (op === 'div' && by === 0n)
      throw new UwsgiError('ERR_API_BAD_ARGUMENT', `metric "${name}": division by zero`);
    const apply = OPS[op];
    if (op === 'inc' || op === 'dec') {
      // one atomic add (BigInt64Array additions wrap at 64 bits)
      return wrap(Atomics.add(this.values, m.slot, op === 'inc' ? by : -by) + (op === 'inc' ? by : -by));
    }
    for (;;) {
      const now = Atomics.load(this.values, m.slot);
      const next = wrap(apply(now, by));
      if (Atomics.compareExchange(this.values, m.slot, now, next) === now) return next;
    }
  }

  /** `metric = ...,initial_value=N`: written by the master before any worker starts. */
  initialize(): void {
    for (const m of this.plan.metrics) {
      if (m.spec && m.type !== 'alias' && m.spec.initialValue !== 0)
        this.write(m, BigInt(m.spec.initialValue));
    }
  }
}
