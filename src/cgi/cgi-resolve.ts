// Which script a request runs (uWSGI's cgi plugin, observed on 2.0.21 and recorded in
// test/fixtures/cgi-uwsgi-2.0.21.json): the first `cgi` mount whose prefix the path is under, then
// inside a directory the longest existing file along the path (the rest is PATH_INFO, unless
// `cgi-path-info` turns that off), a directory answered with its `cgi-index` script (or a 301 to
// the same path with a slash), the allowed extensions (403), the execute bit unless a helper
// runs it (403), nothing there (404).
// Traversal is refused twice: lexically (a `..` that climbs above the mount's directory, a NUL
// byte) and on the real path (a symlink that leads out of the directory unless under `cgi-safe`:
// uWSGI logs "CGI security error" and closes the connection without an answer).

import { constants, type Stats } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import type { CgiMount, CgiPlan } from './cgi-plan.js';

export interface CgiScript {
  readonly kind: 'run';
  /** The script's path as found (SCRIPT_FILENAME). */
  readonly filename: string;
  /** The URL path that named the script. */
  readonly scriptName: string;
  /** What followed the script in the URL ('' when nothing). */
  readonly pathInfo: string;
  /** DOCUMENT_ROOT: the mount's directory; for a single-script mount the server's own (observed). */
  readonly documentRoot: string;
  /** What PATH_INFO is appended to for PATH_TRANSLATED (a single-script mount: the script). */
  readonly translatedBase: string;
  /** Where the script runs: its directory; a single-script mount: the server's (observed). */
  readonly cwd: string;
  /** The program and arguments to spawn: the script itself, or its helper then the script. */
  readonly argv: readonly string[];
}

export type CgiResolution =
  | CgiScript
  | { readonly kind: 'status'; readonly status: 403 | 404; readonly why: string }
  /** A directory named without its trailing slash: 301 to the same path with one. */
  | { readonly kind: 'slash' }
  /** The real path is outside the directory: uWSGI closes the connection without an answer. */
  | { readonly kind: 'security'; readonly why: string };

const notFound = (why: string): CgiResolution => ({ kind: 'status', status: 404, why });
const forbidden = (why: string): CgiResolution => ({ kind: 'status', status: 403, why });

async function statOf(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** The first mount the path is under: the mountpoint itself, or it followed by `/`. */
export function pickMount(mounts: readonly CgiMount[], path: string): CgiMount | undefined {
  for (const m of mounts) {
    const mp = m.mountpoint;
    if (mp === '' || path === mp || (path.startsWith(mp) && path.charCodeAt(mp.length) === 47)) return m;
  }
  return undefined;
}

/**
 * The path below a directory as segments, `.` dropped and `..` applied; undefined when a `..`
 * climbs above the directory (uWSGI finds nothing there: 404).
 */
export function segmentsOf(rest: string): string[] | undefined {
  const out: string[] = [];
  for (const seg of rest.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.pop() === undefined) return undefined;
      continue;
    }
    out.push(seg);
  }
  return out;
}

export class CgiResolver {
  /** The real path of each mount's directory, found once (they do not move under a running instance). */
  private readonly realRoots = new Map<string, Promise<string>>();

  constructor(private readonly plan: CgiPlan) {}

  /** `path` is the decoded PATH_INFO; `docroot` the request's DOCUMENT_ROOT (cgi-from-docroot). */
  async resolve(path: string, docroot: string | undefined): Promise<CgiResolution> {
    if (path.includes('\0')) return notFound('NUL byte in the path');
    const mount =
      this.plan.fromDocroot && docroot
        ? { mountpoint: '', path: docroot }
        : pickMount(this.plan.mounts, path);
    if (mount === undefined) return notFound('no cgi mountpoint matches');
    const rest = path.slice(mount.mountpoint.length);
    const top = await statOf(mount.path);
    if (top === undefined) return notFound(`${mount.path} does not exist`);
    if (top.isFile()) {
      // a single script under its mountpoint: everything after the mountpoint is PATH_INFO
      return this.checked(mount.path, mount.mountpoint, rest, undefined, mount.mountpoint);
    }
    const segs = segmentsOf(rest);
    if (segs === undefined) return notFound('the path climbs above the cgi directory');
    const root = mount.path;
    let found = await statOf(segs.length === 0 ? root : `${root}/${segs.join('/')}`);
    let used = segs.length;
    if (found === undefined && !this.plan.noPathInfo) {
      // the longest existing file along the path is the script, the rest its PATH_INFO
      found = undefined;
      for (let k = 1; k < segs.length; k++) {
        const s = await statOf(`${root}/${segs.slice(0, k).join('/')}`);
        if (s === undefined) break;
        if (s.isFile()) {
          found = s;
          used = k;
          break;
        }
        if (!s.isDirectory()) break;
      }
    }
    if (found === undefined) return notFound('no such script');
    const named = segs.slice(0, used).join('/');
    const scriptName = `${mount.mountpoint}${named === '' ? '' : `/${named}`}`;
    const pathInfo = used < segs.length ? `/${segs.slice(used).join('/')}` : '';
    const file = named === '' ? root : `${root}/${named}`;
    if (found.isDirectory()) {
      if (!rest.endsWith('/')) return { kind: 'slash' };
      for (const index of this.plan.index) {
        const s = await statOf(`${file}/${index}`);
        if (s?.isFile())
          return this.checked(`${file}/${index}`, `${scriptName}/${index}`, '', root, mount.mountpoint);
      }
      return notFound('a directory without a cgi-index script');
    }
    if (!found.isFile()) return notFound('not a regular file');
    return this.checked(file, scriptName, pathInfo, root, mount.mountpoint);
  }

  /**
   * The real-path, extension and permission checks, then what to spawn. In a directory the script
   * is named by its real path (observed: a symlink inside the directory runs as its target, with
   * the target's SCRIPT_NAME and SCRIPT_FILENAME); `root` is undefined for a single-script mount.
   */
  private async checked(
    named: string,
    scriptName: string,
    pathInfo: string,
    root: string | undefined,
    mountpoint: string,
  ): Promise<CgiResolution> {
    let file = named;
    if (root !== undefined) {
      let real: string;
      try {
        real = await realpath(named);
      } catch {
        return notFound('no such script');
      }
      const realRoot = await this.realRoot(root);
      if (under(real, realRoot)) {
        file = `${root}${real.slice(realRoot.length)}`;
        scriptName = `${mountpoint}${real.slice(realRoot.length)}`;
      } else if (!this.plan.safe.some((s) => under(real, s))) {
        return { kind: 'security', why: `${real} is not under ${realRoot}` };
      }
    }
    const ext = extname(file).toLowerCase();
    const allowed = this.plan.allowedExt;
    if (allowed.length > 0 && !allowed.includes(ext)) return forbidden(`extension "${ext}" not allowed`);
    const helper = this.plan.helpers.find((h) => h.ext === ext);
    try {
      // a helper reads the script; without one it is executed (the manual: read and execute bits)
      await access(file, helper ? constants.R_OK : constants.R_OK | constants.X_OK);
    } catch (err) {
      return forbidden(`access(): ${(err as NodeJS.ErrnoException).code ?? 'denied'}`);
    }
    return {
      kind: 'run',
      filename: file,
      scriptName,
      pathInfo,
      documentRoot: root ?? process.cwd(),
      translatedBase: root ?? file,
      cwd: root === undefined ? process.cwd() : dirname(file),
      argv: helper ? [...helper.argv, file] : [file],
    };
  }

  private realRoot(root: string): Promise<string> {
    let known = this.realRoots.get(root);
    if (known === undefined) {
      known = realpath(root).catch(() => root);
      // DOCUMENT_ROOTs from requests (cgi-from-docroot) are not kept: a client could grow the map
      if (this.plan.mounts.some((m) => m.path === root)) this.realRoots.set(root, known);
    }
    return known;
  }
}
