// Shared pieces of the routing unit tests: a fake RoutingHost (files, cache, rpc and clock in
// memory, every call recorded), a program from `option = value` lines, and a one-call runner.
import type { Capability } from '../../../src/routing/action.js';
import type {
  CacheRequest,
  FileFacts,
  MetricRequest,
  RoutingHost,
  RpcRequest,
} from '../../../src/routing/host.js';
import type { RouteOutcome } from '../../../src/routing/outcome.js';
import { RoutingProgram } from '../../../src/routing/program.js';
import type { RuleEntry } from '../../../src/routing/rule.js';

export interface FakeHost extends RoutingHost {
  readonly files: Map<string, FileFacts & { text?: string; exec?: boolean }>;
  readonly cacheData: Map<string, Uint8Array>;
  readonly rpcFunctions: Map<string, (args: readonly string[]) => string | undefined>;
  readonly metrics: Map<string, number>;
  readonly calls: string[];
  /** Answer every I/O call with a Promise (to exercise the asynchronous path). */
  async: boolean;
  nowUs: number;
}

export function file(text = '', over: Partial<FileFacts> = {}): FileFacts & { text: string } {
  return {
    isFile: true,
    isDirectory: false,
    isSymbolicLink: false,
    mtimeMs: 1_000_000_000_000,
    size: text.length,
    text,
    ...over,
  };
}

export function fakeHost(): FakeHost {
  const later = <T>(host: FakeHost, v: T): T | Promise<T> => (host.async ? Promise.resolve(v) : v);
  const host: FakeHost = {
    files: new Map(),
    cacheData: new Map(),
    rpcFunctions: new Map(),
    metrics: new Map([['requests', 17]]),
    calls: [],
    async: false,
    nowUs: 1_795_258_243_123_456,
    workerId: 1,
    pid: 4242,
    nowMicros: () => host.nowUs,
    uuid: () => '00000000-0000-4000-8000-000000000000',
    listenQueue: () => 3,
    mimeType: (path) =>
      path.endsWith('.css') ? 'text/css' : path.endsWith('.html') ? 'text/html' : undefined,
    metricValue: (name) => {
      const v = host.metrics.get(name);
      return v === undefined ? undefined : String(v);
    },
    isLord: (legion) => legion === 'mine',
    stat(path, follow) {
      host.calls.push(`stat ${path} ${follow}`);
      const f = host.files.get(path);
      const facts =
        f === undefined ? undefined : follow && f.isSymbolicLink ? { ...f, isSymbolicLink: false } : f;
      return later(host, facts);
    },
    isExecutable(path) {
      host.calls.push(`exec ${path}`);
      return later(host, host.files.get(path)?.exec === true);
    },
    readText(path) {
      host.calls.push(`read ${path}`);
      return later(host, host.files.get(path)?.text);
    },
    chdir(dir) {
      host.calls.push(`chdir ${dir}`);
      return later(host, host.files.get(dir)?.isDirectory === true);
    },
    cache(req: CacheRequest) {
      const id = `${req.cache ?? ''}/${req.key}`;
      host.calls.push(`cache ${req.op} ${id}`);
      switch (req.op) {
        case 'get':
          return later(host, host.cacheData.get(id));
        case 'exists':
          return later(host, host.cacheData.has(id));
        case 'set':
          host.cacheData.set(id, req.value);
          return later(host, true);
        default: {
          const old = Number(Buffer.from(host.cacheData.get(id) ?? Buffer.from('0')).toString());
          const next =
            req.op === 'inc'
              ? old + req.by
              : req.op === 'dec'
                ? old - req.by
                : req.op === 'mul'
                  ? old * req.by
                  : old / req.by;
          host.cacheData.set(id, Buffer.from(String(next)));
          return later(host, true);
        }
      }
    },
    metric(req: MetricRequest) {
      host.calls.push(`metric ${req.op} ${req.name} ${req.value}`);
      const old = host.metrics.get(req.name) ?? 0;
      const ops = {
        inc: old + req.value,
        dec: old - req.value,
        mul: old * req.value,
        div: Math.trunc(old / req.value),
        set: req.value,
      };
      host.metrics.set(req.name, ops[req.op]);
      return later(host, undefined);
    },
    rpc(req: RpcRequest) {
      host.calls.push(`rpc ${req.func}@${req.node ?? ''} ${req.args.join(' ')}`);
      const fn = host.rpcFunctions.get(req.func);
      const out = fn?.(req.args);
      return later(host, out === undefined ? undefined : Buffer.from(out));
    },
  };
  return host;
}

/** `option = value` lines (blank lines and `;` comments skipped) as rule entries. */
export function entries(text: string): RuleEntry[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith(';'))
    .map((l, i) => {
      const eq = l.indexOf(' = ');
      return { option: l.slice(0, eq), value: l.slice(eq + 3), origin: `test.ini:${i + 1}` };
    });
}

export const ALL_CAPABILITIES: ReadonlySet<Capability> = new Set(['cache', 'rpc', 'metrics']);

export function program(
  text: string,
  capabilities: ReadonlySet<Capability> = ALL_CAPABILITIES,
): RoutingProgram {
  return RoutingProgram.compile(entries(text), { capabilities });
}

/** The vars uWSGI's http parser would give a GET of `uri` (PATH_INFO decoded), plus `extra`. */
export function vars(uri = '/', extra: Record<string, string> = {}): Map<string, string> {
  const q = uri.indexOf('?');
  const path = q < 0 ? uri : uri.slice(0, q);
  return new Map([
    ['REQUEST_METHOD', 'GET'],
    ['REQUEST_URI', uri],
    ['PATH_INFO', decodeURIComponent(path)],
    ['QUERY_STRING', q < 0 ? '' : uri.slice(q + 1)],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['SCRIPT_NAME', ''],
    ['REMOTE_ADDR', '127.0.0.1'],
    ['HTTP_HOST', 'localhost'],
    ...Object.entries(extra),
  ]);
}

/** Runs `chain` of the rules in `text` for a GET of `uri`. */
export async function route(
  text: string,
  uri = '/',
  extra: Record<string, string> = {},
  options: { chain?: 'request' | 'response' | 'error' | 'final'; status?: number; host?: FakeHost } = {},
): Promise<RouteOutcome> {
  const host = options.host ?? fakeHost();
  return program(text).run(
    options.chain ?? 'request',
    {
      vars: vars(uri, extra),
      startMicros: host.nowUs - 1500,
      ...(options.status === undefined ? {} : { status: options.status }),
    },
    host,
  );
}

/** The headers an outcome adds, as `Name: value` lines. */
export function added(outcome: RouteOutcome): string[] {
  return outcome.headers.flatMap((h) => (h.op === 'add' ? [`${h.name}: ${h.value}`] : []));
}
