// Which metrics an instance has and where each value lies in shared memory: decided once by the
// master (built-ins first, in uWSGI's order, then the `metric` options in config order) and sent
// to every worker in its plan, so a name means the same 8-byte slot in every process.

import { formatOrigin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import type { LayoutBuilder } from '../shared/layout.js';
import { type BuiltinSource, builtinMetrics } from './builtin-metrics.js';
import { type MetricSpec, type MetricType, parseMetricOption } from './metric-spec.js';

export interface MetricDef {
  readonly name: string;
  readonly oid: string;
  readonly type: MetricType;
  /** The int64 slot holding the value; an alias has its target's slot. */
  readonly slot: number;
  /** A manual custom metric: the app API and the metric* route actions may change it. */
  readonly writable: boolean;
  /** Built-in: what the master's collector reads. */
  readonly builtin?: BuiltinSource;
  /** Custom: the parsed option (collector, freq, initial value...). */
  readonly spec?: MetricSpec;
}

export interface MetricsPlan {
  /** Byte offset of the first slot in the region. */
  readonly offset: number;
  readonly slots: number;
  readonly metrics: readonly MetricDef[];
}

/** The options that turn the subsystem on (uWSGI 2.0.21: a `metric` or a pusher is enough). */
export function metricsEnabled(config: Config): boolean {
  return (
    config.value('enable-metrics') === true ||
    config.all('metric').length > 0 ||
    config.value('metrics-dir') !== undefined ||
    config.all('stats-push').length > 0 ||
    config.value('carbon-use-metrics') === true
  );
}

export interface MetricsFacts {
  readonly workers: number;
  readonly cores: number;
  readonly sockets: number;
}

/** Worker count and cores as the master computes them (processes, threads x async). */
export function metricsFacts(config: Config, sockets: number): MetricsFacts {
  return {
    workers: config.value('processes'),
    cores: config.value('threads') * config.value('async'),
    sockets,
  };
}

/** Builds the metric list from built-ins and specs; pure, so tests need no config. */
export function buildMetricDefs(
  facts: MetricsFacts & { readonly noCores: boolean },
  specs: ReadonlyArray<{ readonly spec: MetricSpec; readonly where: string }>,
): { metrics: MetricDef[]; slots: number } {
  const metrics: MetricDef[] = [];
  const byName = new Map<string, MetricDef>();
  let slots = 0;
  const add = (def: MetricDef) => {
    metrics.push(def);
    byName.set(def.name, def);
  };
  const aliased = (alias: string, name: string, where: string): number => {
    const target = byName.get(alias);
    if (!target)
      throw new UwsgiError(
        'ERR_CONFIG_BAD_VALUE',
        `metric ${name} (${where}): unable to find metric "${alias}"`,
      );
    return target.slot;
  };
  for (const b of builtinMetrics({ ...facts, noCores: facts.noCores })) {
    const slot = b.alias ? aliased(b.alias, b.name, 'built-in') : slots++;
    add({
      name: b.name,
      oid: b.oid,
      type: b.type,
      slot,
      writable: false,
      ...(b.source ? { builtin: b.source } : {}),
    });
  }
  for (const { spec, where } of specs) {
    if (byName.has(spec.name)) {
      throw new UwsgiError(
        'ERR_CONFIG_BAD_VALUE',
        `metric ${spec.name} (${where}): a metric of that name already exists${byName.get(spec.name)?.builtin ? ' (built in)' : ''}`,
      );
    }
    const slot = spec.alias ? aliased(spec.alias, spec.name, where) : slots++;
    add({
      name: spec.name,
      oid: spec.oid,
      type: spec.type,
      slot,
      writable: spec.type !== 'alias' && spec.collector === 'manual',
      spec,
    });
  }
  // a child named before its parent is fine: children are looked up when the collector runs
  for (const { spec, where } of specs) {
    for (const child of spec.children) {
      if (!byName.has(child))
        throw new UwsgiError(
          'ERR_CONFIG_BAD_VALUE',
          `metric ${spec.name} (${where}): unable to find child metric "${child}"`,
        );
    }
  }
  return { metrics, slots };
}

/** The `metrics` block of the instance, or undefined when the subsystem is off. */
export function planMetrics(
  config: Config,
  layout: LayoutBuilder,
  facts: MetricsFacts,
): MetricsPlan | undefined {
  if (!metricsEnabled(config)) return undefined;
  const specs = config.all('metric').map((o) => {
    const where = formatOrigin(o.origin);
    return { spec: parseMetricOption(o.raw, where), where };
  });
  const { metrics, slots } = buildMetricDefs(
    { ...facts, noCores: config.value('metrics-no-cores') === true },
    specs,
  );
  const block = layout.reserve('metrics', Math.max(1, slots) * 8);
  return { offset: block.offset, slots, metrics };
}
