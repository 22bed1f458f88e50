// SNI on the HTTPS router (seed manual "SNI - Server Name Identification"): a TLS context per
// servername, chosen in the handshake by Node's SNICallback. `sni = NAME CERT,KEY[,CIPHERS,CA]`,
// `sni-regexp = REGEXP CERT,KEY[,CIPHERS,CA]`, `sni-dir = DIR` (DIR/NAME.crt, .key and an
// optional .ca, loaded on first use and kept until the next reload), `sni-dir-ciphers`. Lookup
// order: exact names, then regexps in config order, then the directory, else the socket's own
// certificate. Files are read when the table is built (start and each graceful reload).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { UwsgiError } from '../../errors.js';
import type { RouterTls } from './router-plan.js';

/** One `sni`/`sni-regexp` entry as read from the config: plain data for the router's plan. */
export interface SniEntry {
  readonly name: string;
  readonly regexp: boolean;
  readonly files: RouterTls;
}

export interface SniPlan {
  readonly entries: readonly SniEntry[];
  readonly dir: string | undefined;
  readonly dirCiphers: string | undefined;
}

/**
 * `NAME CERT,KEY[,CIPHERS,CA]` (uWSGI's form: the name, a space, the files); `NAME,CERT,KEY...`
 * is read too (one comma list, as `https` writes it).
 * @example parseSni('unbit.com unbit.crt,unbit.key', false) // { name: 'unbit.com', files: {...} }
 */
export function parseSni(raw: string, regexp: boolean): SniEntry {
  const text = raw.trim();
  const space = text.search(/\s/);
  const [name = '', ...fields] =
    space > 0 ? [text.slice(0, space), ...text.slice(space).trim().split(',')] : text.split(',');
  const [cert, key, ciphers, ca] = fields.map((f) => f.trim());
  const option = regexp ? 'sni-regexp' : 'sni';
  if (!name || !cert || !key)
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `${option} needs "NAME CERT,KEY[,CIPHERS,CA]": "${raw}"`);
  if (regexp) compileName(name, option);
  const caFile = ca?.replace(/^!/, '');
  return {
    name,
    regexp,
    files: { cert, key, ...(ciphers ? { ciphers } : {}), ...(caFile ? { ca: caFile } : {}) },
  };
}

/**
 * A name regexp, anchored. uWSGI's manual writes `*.unbit.com`, which no regexp engine compiles:
 * a pattern that does not compile and starts with `*.` is read as that wildcard.
 */
function compileName(pattern: string, option: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'i');
  } catch (err) {
    if (pattern.startsWith('*.')) {
      const rest = pattern.slice(2).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return new RegExp(`^[^.]+\\.${rest}$`, 'i');
    }
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `${option} "${pattern}" is not a regexp`, { cause: err });
  }
}

/** The context options of a set of files, read now. */
export function contextOptions(files: RouterTls, alpn: readonly string[]): tls.SecureContextOptions {
  return {
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    ...(files.ciphers ? { ciphers: files.ciphers } : {}),
    ...(files.ca ? { ca: readFileSync(files.ca) } : {}),
    ALPNProtocols: [...alpn],
  } as tls.SecureContextOptions;
}

interface Loaded {
  readonly context: tls.SecureContext;
  /** A client certificate is required and checked against this context's CA. */
  readonly clientCa: boolean;
}

/** The servername -> context table of one router process, rebuilt on each reload. */
export class SniTable {
  private readonly exact = new Map<string, Loaded>();
  private readonly patterns: Array<{ re: RegExp; loaded: Loaded }> = [];
  /** sni-dir contexts already loaded (and the names that had no files: not looked up again). */
  private readonly fromDir = new Map<string, Loaded | null>();

  /** Reads every file now: a missing or bad one throws (the caller keeps the old table). */
  constructor(
    private readonly plan: SniPlan,
    private readonly alpn: readonly string[],
    private readonly log: (line: string) => void,
  ) {
    for (const e of plan.entries) {
      const loaded = this.load(e.files);
      if (e.regexp) this.patterns.push({ re: compileName(e.name, 'sni-regexp'), loaded });
      else this.exact.set(e.name.toLowerCase(), loaded);
    }
  }

  get empty(): boolean {
    return this.plan.entries.length === 0 && this.plan.dir === undefined;
  }

  private load(files: RouterTls): Loaded {
    return {
      context: tls.createSecureContext(contextOptions(files, this.alpn)),
      clientCa: files.ca !== undefined,
    };
  }

  /** The context for a servername, or undefined for the socket's own certificate. */
  lookup(servername: string): Loaded | undefined {
    const name = servername.toLowerCase();
    const hit = this.exact.get(name);
    if (hit) return hit;
    for (const p of this.patterns) if (p.re.test(name)) return p.loaded;
    return this.dirLookup(name);
  }

  private dirLookup(name: string): Loaded | undefined {
    const dir = this.plan.dir;
    // a servername is a host name: anything that could leave the directory is not looked up
    if (dir === undefined || !/^[a-z0-9_.-]+$/.test(name) || name.includes('..')) return undefined;
    const known = this.fromDir.get(name);
    if (known !== undefined) return known ?? undefined;
    const base = join(dir, name);
    let loaded: Loaded | null = null;
    if (existsSync(`${base}.crt`) && existsSync(`${base}.key`)) {
      try {
        loaded = this.load({
          cert: `${base}.crt`,
          key: `${base}.key`,
          ...(this.plan.dirCiphers ? { ciphers: this.plan.dirCiphers } : {}),
          ...(existsSync(`${base}.ca`) ? { ca: `${base}.ca` } : {}),
        });
        this.log(`[uwsgi-https] sni-dir: loaded the context of ${name} from ${base}.crt\n`);
      } catch (err) {
        this.log(`[uwsgi-https] sni-dir: cannot load ${base}.crt/.key: ${(err as Error).message}\n`);
      }
    }
    this.fromDir.set(name, loaded);
    return loaded ?? undefined;
  }

  /** Does any context ask for client certificates (the server must request them)? */
  get anyClientCa(): boolean {
    if (this.plan.dir !== undefined) return true;
    return this.plan.entries.some((e) => e.files.ca !== undefined);
  }
}
