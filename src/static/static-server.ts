// uWSGI's static file server (reference §2.7, §4.4 router_static) for one worker: which file a
// request names (check-static roots, check-static-docroot, static-map, static-map2, in 2.0.21's
// order: observed), whether it may be sent (GET/HEAD only, static-skip-ext, never outside its root
// unless under static-safe), and the answer (mime type, Expires, gzip twin, If-Modified-Since ->
// 304, honour-range -> 206/416, file-serve-mode headers). The dispatcher calls intercept() before
// the app; the routing offloads call serveStatic() (`static:`) and serveFile() (`file:`,
// `sendfile:`, `fastfile:`). Answers were recorded from 2.0.21 in test/fixtures/static/recorded/.

import type { Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve as resolvePath } from 'node:path';
import { decodePath } from '../worker/cgi-env.js';
import { byteRange } from './byte-range.js';
import { ExpiresRules } from './expires.js';
import { loadOpened, releaseFile, sendFileBody } from './file-body.js';
import { CACHE_FILE_BYTES, FileCache, type LoadedFile } from './file-cache.js';
import { acceptsGzip, GzipVariants } from './gzip-variant.js';
import { HOSTILE_REASONS, type HostileReason, hostilePath } from './hostile-path.js';
import { loadMimeTypes, mimeType } from './mime-types.js';
import { closeFile, openFile, realPath, statPath, within } from './open-file.js';
import { type FileServeMode, NO_STATIC, type StaticPlan } from './static-plan.js';

/** What became of a file the server was asked to send. */
export type StaticVerdict =
  /** A response was sent (200, 206, 304, 416, or the file-serve-mode headers). */
  | 'served'
  /** Nothing there to send (missing, a directory without index, skipped extension, not GET/HEAD). */
  | 'missing'
  /** The file's real path is outside its root and every static-safe path: logged, nothing sent. */
  | 'refused';

/** The keyvals of the `file`/`sendfile`/`fastfile` route actions (src/routing/outcome.ts `Offload`). */
export interface FileActionOptions {
  /** The status to answer (default 200). */
  readonly status?: number;
  /** `content_type=`: wins over everything. */
  readonly contentType?: string | undefined;
  /** `mime=1`: the type of the file's extension, when the mime dictionary exists. */
  readonly mime?: boolean;
  /** false with `no_cl=1`. */
  readonly contentLength?: boolean;
}

/** A root files must stay in: the path as configured, and its real path (resolved lazily). */
class Root {
  readonly path: string;
  /** A static-map target that is a file: that file answers for the whole prefix. */
  private kind: 'dir' | 'file' | undefined = undefined;
  private real: string | undefined = undefined;

  /** `literal`: compared as written, never resolved (the `static` action's own path, as 2.0.21). */
  constructor(
    path: string,
    private readonly literal = false,
  ) {
    this.path = path;
  }

  isFile(): boolean {
    if (this.kind === undefined) {
      const s = statPath(this.path);
      if (s === undefined) return false;
      this.kind = s.isFile() ? 'file' : 'dir';
    }
    return this.kind === 'file';
  }

  /**
   * Whether a real path is this root or under it. The root's own real path is cached and looked
   * up again before a refusal: a deploy may have swapped the symlink the root goes through.
   */
  contains(real: string): boolean {
    if (this.literal) return within(real, this.path);
    if (this.real !== undefined && within(real, this.real)) return true;
    const now = realPath(this.path);
    if (now === undefined || now === this.real) return false;
    this.real = now;
    return within(real, now);
  }
}

/** One place a request path may name a file, in lookup order. */
type Candidate =
  | { readonly kind: 'root'; readonly root: Root }
  | { readonly kind: 'docroot' }
  | { readonly kind: 'mount'; readonly prefix: string; readonly root: Root; readonly appendUri: boolean };

/** What the answer needs to know about the request besides its headers. */
interface RequestFacts {
  readonly pathInfo: string;
  readonly uri: string;
}

const SERVE_MODE_HEADER: Readonly<Record<Exclude<FileServeMode, 'direct'>, string>> = {
  'x-sendfile': 'X-Sendfile',
  'x-accel-redirect': 'X-Accel-Redirect',
};

/** DOCUMENT_ROOTs and `static` action paths remembered as roots (then forgotten all at once). */
const ROOTS_KEPT = 256;

function memoRoot(roots: Map<string, Root>, path: string, make: () => Root): Root {
  let root = roots.get(path);
  if (root === undefined) {
    if (roots.size >= ROOTS_KEPT) roots.clear();
    root = make();
    roots.set(path, root);
  }
  return root;
}

type Vars = { readonly varsBuilt: boolean; readonly vars: ReadonlyMap<string, string> };

function hasVars(req: IncomingMessage): req is IncomingMessage & Vars {
  return typeof (req as Partial<Vars>).varsBuilt === 'boolean';
}

/** PATH_INFO without building an HTTP request's CGI vars (unless something already built them). */
function requestPathInfo(req: IncomingMessage): string {
  if (hasVars(req) && req.varsBuilt) return req.vars.get('PATH_INFO') ?? '';
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return decodePath(q < 0 ? url : url.slice(0, q));
}

function requestUri(req: IncomingMessage): string {
  if (hasVars(req) && req.varsBuilt) return req.vars.get('REQUEST_URI') ?? req.url ?? '';
  return req.url ?? '';
}

function joinPath(base: string, rest: string): string {
  if (rest === '') return base;
  return base.endsWith('/') || rest.startsWith('/') ? base + rest : `${base}/${rest}`;
}

export class StaticServer {
  /** check-static, check-static-docroot or a static-map is set: requests are looked up before the app. */
  readonly intercepts: boolean;
  private readonly candidates: readonly Candidate[];
  private readonly docroots = new Map<string, Root>();
  private readonly actionRoots = new Map<string, Root>();
  private readonly cache = new FileCache();
  private readonly index: readonly string[];
  private readonly skipExt: readonly string[];
  private readonly safe: readonly Root[];
  private readonly mime: ReadonlyMap<string, string> | undefined;
  private readonly expires: ExpiresRules;
  private readonly gzip: GzipVariants;
  private readonly honourRange: boolean;
  private readonly serveMode: FileServeMode;
  private readonly log: (line: string) => void;

  constructor(plan: StaticPlan, log: (line: string) => void) {
    this.log = log;
    const candidates: Candidate[] = plan.checkStatic.map((dir) => ({
      kind: 'root',
      root: new Root(resolvePath(dir)),
    }));
    if (plan.checkDocroot) candidates.push({ kind: 'docroot' });
    for (const m of plan.mounts) {
      candidates.push({
        kind: 'mount',
        prefix: m.prefix,
        root: new Root(resolvePath(m.target)),
        appendUri: m.appendUri,
      });
    }
    this.candidates = candidates;
    this.intercepts = candidates.length > 0;
    this.index = plan.index;
    this.skipExt = plan.skipExt;
    this.safe = plan.safe.map((p) => new Root(resolvePath(p)));
    this.mime = plan.mimeFiles === undefined ? undefined : loadMimeTypes(plan.mimeFiles, log);
    this.expires = new ExpiresRules(plan.expires, plan.typeExpires);
    this.gzip = new GzipVariants(plan.gzip);
    this.honourRange = plan.honourRange;
    this.serveMode = plan.serveMode;
  }

  /**
   * The type of a path's extension; undefined when unknown or when uWSGI would have no mime
   * dictionary (no static option set): the routing host's `mimeType` and `${mime[..]}`.
   */
  mimeType(path: string): string | undefined {
    return this.mime === undefined ? undefined : mimeType(this.mime, path);
  }

  /**
   * The dispatcher's hook, before the app: true when this request got its answer here (a file,
   * 304, 206, 416, or 403 for a path that tries to leave its root), false to run the app.
   */
  intercept(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const pathInfo = requestPathInfo(req);
    let checked = false;
    let facts: RequestFacts | undefined;
    for (const c of this.candidates) {
      let root: Root;
      let filename: string;
      if (c.kind === 'mount') {
        if (!pathInfo.startsWith(c.prefix)) continue;
        root = c.root;
        // static-map2 appends the whole PATH_INFO; static-map what follows the prefix (2.0.21 joins
        // with a `/`: `/m=/www` serves /www/a.txt for /ma.txt too, observed), and a target that is a
        // file answers for the whole prefix
        if (c.appendUri) filename = joinPath(root.path, pathInfo);
        else if (root.isFile()) filename = root.path;
        else {
          const rest = pathInfo.slice(c.prefix.length);
          // `/m..%2fx` under `/m`: PATH_INFO has no `..` segment, what is joined to the root does
          const why = hostilePath(`/${rest}`);
          if (why !== undefined) return this.refuse(req, res, why);
          filename = joinPath(root.path, rest.replace(/^\/+/, ''));
        }
      } else if (c.kind === 'root') {
        root = c.root;
        filename = joinPath(root.path, pathInfo);
      } else {
        // DOCUMENT_ROOT comes from a front end (uwsgi/FastCGI/SCGI vars) or a routing rule: an
        // HTTP request whose vars were never built has none, and building them costs
        const docroot = hasVars(req) && req.varsBuilt ? req.vars.get('DOCUMENT_ROOT') : undefined;
        if (docroot === undefined || docroot === '') continue;
        root = this.docroot(docroot);
        filename = joinPath(root.path, pathInfo);
      }
      if (!checked) {
        const why = hostilePath(pathInfo);
        if (why !== undefined) return this.refuse(req, res, why);
        checked = true;
        facts = { pathInfo, uri: requestUri(req) };
      }
      const verdict = this.tryFile(req, res, filename, root, facts as RequestFacts);
      if (verdict === 'missing') continue;
      if (verdict === 'refused') forbidden(res);
      return true;
    }
    return false;
  }

  /** 403 for a path that tries to leave its root, with a log line naming the attempt. */
  private refuse(req: IncomingMessage, res: ServerResponse, why: HostileReason): true {
    this.log(
      `[uwsgi-fileserve] security error: ${req.method} ${JSON.stringify(requestUri(req))} refused, its path has ${HOSTILE_REASONS[why]} -> 403 [ERR_STATIC_TRAVERSAL]\n`,
    );
    forbidden(res);
    return true;
  }

  /**
   * The `static:PATH` route action (and the X-Sendfile emulation of seeds 000, which ends in it):
   * uWSGI's file server with PATH as its own root, so a path whose real path differs (a symlink,
   * `..`, a relative path) is refused unless under static-safe, as 2.0.21 does. Directories get
   * their static-index file. Only GET and HEAD are answered.
   * @example files.serveStatic(req, res, '/var/www/report.pdf') // 'served' | 'missing' | 'refused'
   */
  serveStatic(req: IncomingMessage, res: ServerResponse, path: string): StaticVerdict {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return 'missing';
    return this.tryFile(req, res, path, this.actionRoot(path), {
      pathInfo: requestPathInfo(req),
      uri: requestUri(req),
    });
  }

  /**
   * The `file:`/`sendfile:`/`fastfile:` route actions (recorded: static-file-action,
   * static-sendfile-fastfile): `status`, then Content-Length (unless contentLength is false) and
   * Content-Type (contentType, else the mime type with `mime`, else text/html); no Range, no
   * conditional request, any method. `no_headers=1` (the body alone) is the caller's to do.
   * @example files.serveFile(req, res, '/srv/a.json', { status: 203, contentType: 'application/json' })
   */
  serveFile(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    options: FileActionOptions = {},
  ): 'served' | 'missing' {
    const file = openFile(path);
    if (file === undefined) return 'missing';
    if (!file.stats.isFile()) {
      closeFile(file.fd);
      return 'missing';
    }
    const loaded = loadOpened(file.fd, file.real, file.stats);
    if (loaded === undefined) return 'missing';
    res.statusCode = options.status ?? 200;
    const size = loaded.size;
    // no_cl: Node would add the length it knows; removing it makes the body chunked instead
    // (2.0.21 sends neither and closes the connection)
    if (options.contentLength !== false) res.setHeader('Content-Length', size);
    else res.removeHeader('Content-Length');
    const type =
      options.contentType ?? (options.mime === true ? this.mimeType(path) : undefined) ?? 'text/html';
    res.setHeader('Content-Type', type);
    sendFileBody(res, loaded, 0, size, req.method === 'HEAD');
    return 'served';
  }

  private docroot(path: string): Root {
    return memoRoot(this.docroots, path, () => new Root(resolvePath(path)));
  }

  /** The `static` action's path as its own root (kept, so the file cache can hit through it). */
  private actionRoot(path: string): Root {
    return memoRoot(this.actionRoots, path, () => new Root(path, true));
  }

  private skipped(path: string): boolean {
    for (const ext of this.skipExt) if (path.endsWith(ext)) return true;
    return false;
  }

  private isSafe(real: string): boolean {
    for (const s of this.safe) if (s.contains(real)) return true;
    return false;
  }

  /** The file, or a directory's first static-index file, with its stat; undefined when neither. */
  private locate(path: string): { readonly filename: string; readonly stats: Stats } | undefined {
    const stats = statPath(path);
    if (stats === undefined) return undefined;
    if (stats.isFile()) return { filename: path, stats };
    if (!stats.isDirectory()) return undefined;
    for (const name of this.index) {
      const filename = joinPath(path, name);
      const s = statPath(filename);
      if (s?.isFile() === true) return { filename, stats: s };
    }
    return undefined;
  }

  /**
   * The file at `filename` (just stat'ed: `stats`), verified to really be under `root` or a
   * static-safe path: from the cache when unchanged, else opened, checked and read.
   */
  private load(filename: string, stats: Stats, root: Root): LoadedFile | 'refused' | undefined {
    const cached = this.cache.get(filename, stats, root);
    if (cached !== undefined) return cached;
    const file = openFile(filename);
    if (file === undefined) return undefined;
    if (!root.contains(file.real) && !this.isSafe(file.real)) {
      closeFile(file.fd);
      this.log(
        `[uwsgi-fileserve] security error: ${file.real} is not under ${root.path} or a safe path -> 403 [ERR_STATIC_OUTSIDE_ROOT]\n`,
      );
      return 'refused';
    }
    if (!file.stats.isFile()) {
      closeFile(file.fd);
      return undefined;
    }
    const loaded = loadOpened(file.fd, file.real, file.stats);
    if (loaded === undefined) return undefined;
    if (loaded.body !== undefined) this.cache.put(filename, file.stats, root, loaded);
    else if (loaded.size <= CACHE_FILE_BYTES) {
      // read whole on its way out (file-body.ts), then kept: a closure on the miss path only
      const stats = file.stats;
      return {
        ...loaded,
        keep: (body) => this.cache.put(filename, stats, root, { ...loaded, body, fd: -1 }),
      };
    }
    return loaded;
  }

  private tryFile(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    root: Root,
    facts: RequestFacts,
  ): StaticVerdict {
    const found = this.locate(path);
    if (found === undefined || this.skipped(found.filename)) return 'missing';
    const file = this.load(found.filename, found.stats, root);
    if (file === undefined) return 'missing';
    if (file === 'refused') return 'refused';
    if (this.skipped(file.real)) {
      releaseFile(file);
      return 'missing';
    }
    this.answer(req, res, file, root, facts);
    return 'served';
  }

  /** The gzip twin of `real`, when it exists and stays where `real` may be. */
  private gzipTwin(real: string, root: Root): LoadedFile | undefined {
    const path = `${real}.gz`;
    const stats = statPath(path);
    if (stats?.isFile() !== true) return undefined;
    const twin = this.load(path, stats, root);
    return twin === 'refused' ? undefined : twin;
  }

  /** Headers in 2.0.21's order, then the body (recorded: every file in test/fixtures/static/recorded/). */
  private answer(
    req: IncomingMessage,
    res: ServerResponse,
    original: LoadedFile,
    root: Root,
    facts: RequestFacts,
  ): void {
    let file = original;
    const real = original.real;
    let encoded = false;
    let vary = false;
    if (!this.gzip.empty && this.gzip.eligible(real)) {
      // the answer depends on Accept-Encoding whichever variant is sent (2.0.21 sends no Vary)
      vary = true;
      if (acceptsGzip(req.headers['accept-encoding'])) {
        const twin = this.gzipTwin(real, root);
        if (twin !== undefined) {
          releaseFile(file);
          file = twin;
          encoded = true;
        }
      }
    }
    const since = req.headers['if-modified-since'];
    if (since !== undefined) {
      const t = Date.parse(since);
      // 2.0.21: 304 with no header at all when the date is not before the file's mtime
      if (!Number.isNaN(t) && Math.floor(t / 1000) >= file.mtimeS) {
        releaseFile(file);
        res.writeHead(304, 'Not Modified');
        res.end();
        return;
      }
    }
    const size = file.size;
    const range =
      this.honourRange && this.serveMode === 'direct' ? byteRange(req.headers.range, size) : undefined;
    if (range?.kind === 'unsatisfiable') {
      releaseFile(file);
      res.writeHead(416, 'Requested Range Not Satisfiable', {
        'Content-Range': `bytes */${size}`,
        'Content-Length': 0,
      });
      res.end();
      return;
    }
    const type = this.mime === undefined ? undefined : mimeType(this.mime, real);
    const expires = this.expires.empty
      ? undefined
      : this.expires.answer({
          filename: real,
          pathInfo: facts.pathInfo,
          uri: facts.uri,
          type,
          mtimeS: file.mtimeS,
          nowS: Math.floor(Date.now() / 1000),
        });
    if (expires !== undefined && !expires.afterType) res.setHeader('Expires', expires.value);
    if (encoded) res.setHeader('Content-Encoding', 'gzip');
    if (type !== undefined) res.setHeader('Content-Type', type);
    if (expires?.afterType === true) res.setHeader('Expires', expires.value);
    if (this.serveMode !== 'direct') {
      // the front end sends the file (and answers Range itself): uWSGI names the real path (of
      // the gzip twin when that is what it chose, observed)
      releaseFile(file);
      res.setHeader(SERVE_MODE_HEADER[this.serveMode], file.real);
      res.setHeader('Last-Modified', file.lastModified);
      if (vary) res.setHeader('Vary', 'Accept-Encoding');
      res.setHeader('Content-Length', 0);
      res.writeHead(200);
      res.end();
      return;
    }
    let start = 0;
    let length = size;
    if (range?.kind === 'partial') {
      start = range.start;
      length = range.end - range.start + 1;
      res.statusCode = 206;
      res.statusMessage = 'Partial Content';
      res.setHeader('Content-Length', length);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    } else {
      res.statusCode = 200;
      res.setHeader('Content-Length', size);
    }
    res.setHeader('Last-Modified', file.lastModified);
    if (vary) res.setHeader('Vary', 'Accept-Encoding');
    sendFileBody(res, file, start, length, req.method === 'HEAD');
  }
}

function forbidden(res: ServerResponse): void {
  res.writeHead(403, 'Forbidden', { 'Content-Type': 'text/plain', 'Content-Length': 9 });
  res.end('Forbidden');
}

const servers = new WeakMap<object, StaticServer>();

/**
 * The worker's static file server, one per plan: the dispatcher's hook and the routing offloads
 * share it (and its mime dictionary). A plan without static options still gets one (no roots,
 * no dictionary) for the `static`/`file` actions.
 * @example staticFiles(plan, log).serveStatic(req, res, '/var/www/a.css')
 */
export function staticFiles(
  plan: { readonly static?: StaticPlan },
  log: (line: string) => void,
): StaticServer {
  let server = servers.get(plan);
  if (server === undefined) {
    server = new StaticServer(plan.static ?? NO_STATIC, log);
    servers.set(plan, server);
  }
  return server;
}
