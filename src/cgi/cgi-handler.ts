// modifier1 9 (reference §1.1): a request run as a CGI script. The script (or its cgi-helper) is
// spawned directly, never through a shell, in its own process group; the request body streams to
// its stdin, its stdout to the client once the header block is parsed (cgi-head.ts), its stderr
// into the log line by line. `cgi-timeout` is uWSGI's: the most seconds the script may stay
// silent on stdout (observed: a script printing every second under cgi-timeout 3 runs 8 s to its
// end); then its whole group is killed. Nothing here blocks the worker: fs.promises and streams.

import { type ChildProcess, spawn } from 'node:child_process';
import { decodePath } from '../worker/cgi-env.js';
import { UwsgiRequest, type UwsgiResponse } from '../worker/request.js';
import { cgiEnvironment } from './cgi-environment.js';
import { CgiHeadParser } from './cgi-head.js';
import type { CgiPlan } from './cgi-plan.js';
import { type CgiResolution, CgiResolver, type CgiScript } from './cgi-resolve.js';

type Log = (line: string) => void;

/** uWSGI's bodies for the answers it makes itself (observed: no trailing newline). */
const REASONS: Readonly<Record<number, string>> = { 403: 'Forbidden', 404: 'Not Found' };

/** Kills a script and whatever it started (it leads its own process group: spawn detached). */
function killGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Writes stderr text to the log a line at a time (a line split across reads is joined first). */
class LineLog {
  private pending = '';
  constructor(private readonly log: Log) {}
  push(chunk: Buffer): void {
    const text = this.pending + chunk.toString('utf8');
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      this.pending = text;
      return;
    }
    this.log(text.slice(0, last + 1));
    this.pending = text.slice(last + 1);
  }
  flush(): void {
    if (this.pending !== '') this.log(`${this.pending}\n`);
    this.pending = '';
  }
}

/** Scripts running now: a worker that exits takes their process groups with it. */
const running = new Set<ChildProcess>();
let exitHooked = false;

function track(child: ChildProcess): void {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const c of running) killGroup(c);
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

export class CgiHandler {
  private readonly resolver: CgiResolver;

  constructor(
    private readonly plan: CgiPlan,
    private readonly log: Log,
  ) {
    this.resolver = new CgiResolver(plan);
  }

  serve(req: UwsgiRequest, res: UwsgiResponse): void {
    const vars = UwsgiRequest.varsOf(req);
    const path = vars.get('PATH_INFO') ?? decodePath((req.url ?? '/').split('?')[0] ?? '/');
    this.resolver.resolve(path, vars.get('DOCUMENT_ROOT')).then(
      (r) => this.answer(r, req, res, vars),
      (err: unknown) => this.internal(res, `resolving ${path} failed: ${String(err)}`),
    );
  }

  private answer(r: CgiResolution, req: UwsgiRequest, res: UwsgiResponse, vars: Map<string, string>): void {
    switch (r.kind) {
      case 'run':
        this.run(r, req, res, vars);
        return;
      case 'status':
        if (r.status === 403) this.log(`[uwsgi-cgi] ${req.method} ${req.url}: 403 (${r.why})\n`);
        res.shouldKeepAlive = false;
        res.writeHead(r.status, { 'Content-Type': 'text/plain' });
        res.end(REASONS[r.status]);
        return;
      case 'slash': {
        // the same path with its slash, the query kept (observed)
        const uri = vars.get('REQUEST_URI') ?? req.url ?? '/';
        const q = uri.indexOf('?');
        res.shouldKeepAlive = false;
        res.writeHead(301, { Location: q < 0 ? `${uri}/` : `${uri.slice(0, q)}/${uri.slice(q)}` });
        res.end();
        return;
      }
      case 'security':
        // uWSGI's line, and its answer: none (the connection closes)
        this.log(`CGI security error: ${r.why} [ERR_CGI_SECURITY]\n`);
        res.statusCode = 500;
        res.destroy();
        return;
    }
  }

  private run(script: CgiScript, req: UwsgiRequest, res: UwsgiResponse, vars: Map<string, string>): void {
    const plan = this.plan;
    const [program = '', ...args] = script.argv;
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        cwd: script.cwd,
        env: cgiEnvironment(vars, script, plan.unset),
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      this.internal(res, `unable to run ${script.argv.join(' ')}: ${String(err)} [ERR_CGI_SPAWN]`);
      return;
    }
    track(child);
    const stdin = child.stdin;
    const stdout = child.stdout;
    const stderr = child.stderr;
    if (stdin === null || stdout === null || stderr === null) return;
    let over = false;
    let headDone = false;
    const parser = new CgiHeadParser(plan.bufferSize);
    const errors = new LineLog(this.log);
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (plan.timeoutS <= 0) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.log(
          `CGI timeout !!! (${script.filename} silent for ${plan.timeoutS} s: killed with its process group) [ERR_CGI_TIMEOUT]\n`,
        );
        killGroup(child);
        finish(true);
      }, plan.timeoutS * 1000);
    };
    const finish = (killed: boolean) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      errors.flush();
      if (headDone) res.end();
      else if (killed) this.internal(res, undefined);
      else this.internal(res, `${script.filename} ended without a header block [ERR_CGI_HEADERS]`);
    };
    child.on('error', (err) => {
      this.log(`[uwsgi-cgi] unable to run ${script.argv.join(' ')}: ${err.message} [ERR_CGI_SPAWN]\n`);
      finish(false);
    });
    child.on('close', () => finish(false));
    // the client left before the answer was out: the script goes too (cgi-do-not-kill-on-error keeps it)
    res.on('close', () => {
      if (!res.writableFinished && !over && !plan.keepOnError) {
        over = true;
        clearTimeout(timer);
        killGroup(child);
      }
    });
    stderr.on('data', (chunk: Buffer) => errors.push(chunk));
    // a script that exits without reading its body: the unread rest is dropped
    stdin.on('error', () => {});
    req.pipe(stdin, { end: plan.closeStdinOnEof });
    stdout.on('data', (chunk: Buffer) => {
      if (over) return;
      arm();
      if (!headDone) {
        const got = parser.push(chunk);
        if (got.state === 'more') return;
        if (got.state === 'error') {
          over = true;
          clearTimeout(timer);
          killGroup(child);
          this.internal(res, `${script.filename}: ${got.why} [ERR_CGI_HEADERS]`);
          return;
        }
        headDone = true;
        try {
          this.writeHead(res, got.head);
        } catch (err) {
          over = true;
          killGroup(child);
          this.internal(res, `${script.filename}: ${String(err)} [ERR_CGI_HEADERS]`);
          return;
        }
        chunk = got.rest;
        if (chunk.length === 0) return;
      }
      if (!res.write(chunk)) {
        stdout.pause();
        res.once('drain', () => stdout.resume());
      }
    });
    arm();
  }

  private writeHead(res: UwsgiResponse, head: import('./cgi-head.js').CgiHead): void {
    const grouped = new Map<string, [string, string[]]>();
    for (const [name, value] of head.headers) {
      const lower = name.toLowerCase();
      const known = grouped.get(lower);
      if (known) known[1].push(value);
      else grouped.set(lower, [name, [value]]);
    }
    res.statusCode = head.status;
    if (head.reason !== undefined) res.statusMessage = head.reason;
    for (const [name, values] of grouped.values()) {
      res.setHeader(name, values.length === 1 ? (values[0] ?? '') : values);
    }
    res.flushHeaders();
  }

  /** A 500 before the head is out (after it: the connection is cut), with a log line when given. */
  private internal(res: UwsgiResponse, line: string | undefined): void {
    if (line !== undefined) this.log(`[uwsgi-cgi] ${line}\n`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = 500;
    res.shouldKeepAlive = false;
    res.setHeader('Content-Type', 'text/plain');
    res.end('Internal Server Error\n');
  }
}
