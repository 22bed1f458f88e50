// Which static files have a precompressed `FILE.gz` twin to look for (reference §2.7 static-gzip,
// -all, -dir/-prefix, -ext/-suffix), matched as 2.0.21 does against the file's real path (observed:
// a prefix naming the symlink a root goes through does not match), and whether the client takes
// gzip. 2.0.21 looks for the substring `gzip` in Accept-Encoding (so `gzip;q=0` gets gzip);
// uwsgi-ts reads the header's tokens and their q-values (README "Static files").

import { compilePcre, type Pcre } from '../routing/pcre.js';
import type { GzipRules } from './static-plan.js';

export class GzipVariants {
  /** No gzip option: the response path never looks. */
  readonly empty: boolean;
  private readonly all: boolean;
  private readonly prefixes: readonly string[];
  private readonly suffixes: readonly string[];
  private readonly regexps: readonly Pcre[];

  constructor(rules: GzipRules) {
    this.all = rules.all;
    this.prefixes = rules.prefixes;
    this.suffixes = rules.suffixes;
    this.regexps = rules.regexps.map((r) => compilePcre(r));
    this.empty =
      !this.all && this.prefixes.length === 0 && this.suffixes.length === 0 && this.regexps.length === 0;
  }

  /** Whether `realPath` may have a `.gz` twin under the rules. */
  eligible(realPath: string): boolean {
    if (this.all) return true;
    for (const p of this.prefixes) if (realPath.startsWith(p)) return true;
    for (const s of this.suffixes) if (realPath.endsWith(s)) return true;
    for (const r of this.regexps) if (r.exec(realPath) !== null) return true;
    return false;
  }
}

/**
 * Whether an Accept-Encoding value accepts gzip: a `gzip` (or `x-gzip`, or `*`) token whose q is
 * not 0; an explicit `gzip;q=0` refuses it even after `*`.
 * @example acceptsGzip('br, gzip;q=0.8') // true
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined || header === '') return false;
  let star = false;
  for (const part of header.split(',')) {
    const semi = part.indexOf(';');
    const name = (semi < 0 ? part : part.slice(0, semi)).trim().toLowerCase();
    if (name !== 'gzip' && name !== 'x-gzip' && name !== '*') continue;
    const q = semi < 0 ? undefined : /(?:^|;)\s*q\s*=\s*([0-9.]+)/i.exec(part.slice(semi));
    const accepted = q === undefined || q === null || Number(q[1]) > 0;
    if (name === '*') star = accepted;
    else return accepted;
  }
  return star;
}
