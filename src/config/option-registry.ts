// Lookup over the option table: by long name or alias, by short flag, and a did-you-mean for
// unknown names. Built once, at module load.

import type { OptionSpec } from './option.js';
import { OPTIONS } from './option-table.js';
import { UWSGI_OTHER_OPTIONS } from './option-table-uwsgi.js';

/** Every option uwsgi-ts knows: its own table first, then the rest of uWSGI's. */
export const ALL_OPTIONS: readonly OptionSpec[] = [...OPTIONS, ...UWSGI_OTHER_OPTIONS];

const byName = new Map<string, OptionSpec>();
const byShort = new Map<string, OptionSpec>();
for (const spec of ALL_OPTIONS) {
  for (const name of [spec.name, ...(spec.aliases ?? [])]) {
    if (!byName.has(name)) byName.set(name, spec);
  }
  if (spec.short && !byShort.has(spec.short)) byShort.set(spec.short, spec);
}

/** The option called `name` (long name or alias), if any. */
export function findOption(name: string): OptionSpec | undefined {
  return byName.get(name);
}

export function findShortOption(letter: string): OptionSpec | undefined {
  return byShort.get(letter);
}

/** Every long name and alias, for getopt's unambiguous-prefix matching. */
export function allOptionNames(): IterableIterator<string> {
  return byName.keys();
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j] ?? 0;
      row[j] = Math.min(here + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length] ?? 0;
}

/** The closest known option name, when one is close enough to be a likely typo. */
export function suggestOption(name: string): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of byName.keys()) {
    const d = distance(name, candidate);
    if (d < bestScore) {
      best = candidate;
      bestScore = d;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
