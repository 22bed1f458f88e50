// The Expires header of a static file (reference §2.7 static-expires*), compiled once per worker.
// uWSGI 2.0.21 tries the families in this order, the plain rules of each before its -mtime rules,
// the first match of each family winning: filename (the file's real path), PATH_INFO, REQUEST_URI,
// then, after Content-Type, the mime type (recorded in test/fixtures/static/recorded/expires-*.json).
// It sends one Expires per family that matched; uwsgi-ts sends only the first (README "Static
// files": a cache must treat a response with several Expires as already expired, RFC 9111 §5.3).

import { compilePcre, type Pcre } from '../routing/pcre.js';
import type { ExpiresRule, ExpiresSubject, TypeExpiresRule } from './static-plan.js';

/** What the rules look at for one response. */
export interface ExpiresFacts {
  readonly filename: string;
  readonly pathInfo: string;
  readonly uri: string;
  readonly type: string | undefined;
  /** The file's mtime, whole seconds since the epoch. */
  readonly mtimeS: number;
  /** Now, whole seconds since the epoch. */
  readonly nowS: number;
}

/** The Expires date and where it goes: before Content-Type (a regexp rule) or after it (a type rule). */
export interface ExpiresAnswer {
  readonly value: string;
  readonly afterType: boolean;
}

interface CompiledRule {
  readonly subject: ExpiresSubject;
  readonly pcre: Pcre;
  readonly seconds: number;
  readonly fromMtime: boolean;
}

/** HTTP date (IMF-fixdate) of an epoch second: `Sat, 21 Nov 2026 14:13:29 GMT`. */
export function httpDate(epochS: number): string {
  return new Date(epochS * 1000).toUTCString();
}

export class ExpiresRules {
  /** No rule at all: the response path skips the whole lookup. */
  readonly empty: boolean;
  private readonly rules: readonly CompiledRule[];
  private readonly byType: ReadonlyMap<string, TypeExpiresRule>;

  constructor(rules: readonly ExpiresRule[], typeRules: readonly TypeExpiresRule[]) {
    this.rules = rules.map((r) => ({
      subject: r.subject,
      pcre: compilePcre(r.regexp),
      seconds: r.seconds,
      fromMtime: r.fromMtime,
    }));
    const byType = new Map<string, TypeExpiresRule>();
    // plain before -mtime (the plan keeps that order): the first rule of a type wins
    for (const r of typeRules) if (!byType.has(r.type)) byType.set(r.type, r);
    this.byType = byType;
    this.empty = this.rules.length === 0 && byType.size === 0;
  }

  /** The Expires to send, or undefined when no rule matches. */
  answer(facts: ExpiresFacts): ExpiresAnswer | undefined {
    for (const r of this.rules) {
      const subject =
        r.subject === 'filename' ? facts.filename : r.subject === 'path-info' ? facts.pathInfo : facts.uri;
      if (r.pcre.exec(subject) !== null) {
        return { value: httpDate((r.fromMtime ? facts.mtimeS : facts.nowS) + r.seconds), afterType: false };
      }
    }
    const t = facts.type === undefined ? undefined : this.byType.get(facts.type);
    if (t === undefined) return undefined;
    return { value: httpDate((t.fromMtime ? facts.mtimeS : facts.nowS) + t.seconds), afterType: true };
  }
}
