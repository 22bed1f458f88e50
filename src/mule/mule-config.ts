// The mules of an instance (seed manual, "uWSGI Mules"; reference §2.9): `mule` adds one, running
// a script when it has a value (a programmed mule) or the app (a signal-only mule); `mules N` adds
// N signal-only mules; `farm NAME:ID,ID` groups mules for signals. Ids count from 1 in the order
// the options come, as uWSGI numbers them.

import { formatOrigin } from '../config/entry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';

export interface MuleSpec {
  /** 1..n, uWSGI's mule id (`mule_id()`). */
  readonly id: number;
  /** The module a programmed mule runs; undefined: the mule loads the app (signal-only mode). */
  readonly script: string | undefined;
}

export interface MuleConfig {
  readonly mules: readonly MuleSpec[];
  /** Farm name -> the ids of its mules, in the order given. */
  readonly farms: ReadonlyMap<string, readonly number[]>;
}

/** The config's mules and farms; a farm naming a mule that does not exist is refused. */
export function muleConfig(config: Config): MuleConfig {
  const mules: MuleSpec[] = [];
  for (const o of config.all('mule')) {
    // a bare --mule reads as `true`
    const script = typeof o.value === 'string' && o.value !== '' && o.value !== 'true' ? o.value : undefined;
    mules.push({ id: mules.length + 1, script });
  }
  const more = config.value('mules') ?? 0;
  for (let i = 0; i < more; i++) mules.push({ id: mules.length + 1, script: undefined });
  const farms = new Map<string, number[]>();
  for (const o of config.all('farm')) {
    const where = formatOrigin(o.origin);
    const value = String(o.value);
    const colon = value.indexOf(':');
    const name = colon > 0 ? value.slice(0, colon) : '';
    const ids =
      colon > 0
        ? value
            .slice(colon + 1)
            .split(',')
            .map((s) => Number(s.trim()))
        : [];
    const bad = ids.find((id) => !Number.isInteger(id) || id < 1 || id > mules.length);
    if (name === '' || ids.length === 0 || bad !== undefined) {
      throw new UwsgiError(
        'ERR_CONFIG_BAD_VALUE',
        `invalid farm "${value}": give NAME:ID[,ID...] with mule ids 1..${mules.length} (${where})`,
      );
    }
    farms.set(name, [...(farms.get(name) ?? []), ...ids]);
  }
  return { mules, farms };
}
