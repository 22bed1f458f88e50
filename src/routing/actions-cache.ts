// router_cache (reference §4.4 and §7): serve from, store into and update the cache, through the
// host (the cache subsystem). `cache`/`cache-continue` answer a hit (Content-Type text/html unless
// content_type= or mime=1, then Content-Encoding if content_encoding=, Expires when the item has an
// expiry, Content-Length unless no_cl=1: observed on 2.0.21, seeds 002 "Being more aggressive,
// the Expires HTTP header") and go on with the chain on a miss; `cachestore` is a transformation
// storing the app's response. Keyval values are translated per request.

import { action, badArgs, type RuleSite } from './action.js';
import type { CacheAnswer, CacheHit } from './host.js';
import { io } from './io.js';
import { parseKvList } from './kvlist.js';
import { RouteCode } from './outcome.js';
import { atoi, httpDate } from './route-vars.js';
import type { RouteRun } from './run.js';
import { Template } from './translate.js';

type Kv = ReadonlyMap<string, Template>;

function compileKv(args: string, site: RuleSite, required: readonly string[], why: string): Kv {
  const kv = parseKvList(args);
  if (kv === undefined || required.some((k) => !kv.has(k))) throw badArgs(site, why);
  return new Map([...kv].map(([k, v]) => [k, new Template(v)]));
}

const get = (run: RouteRun, kv: Kv, k: string) => kv.get(k)?.render(run);
const truthy = (v: string | undefined) => v !== undefined && v !== '' && v !== '0';
const toBytes = (text: string) => Buffer.from(text, 'utf8');

/** A `get` answer as a hit (bare bytes: no expiry known), undefined on a miss. */
function hitOf(answer: CacheAnswer): CacheHit | undefined {
  if (answer instanceof Uint8Array) return { value: answer, expires: 0 };
  return typeof answer === 'object' ? answer : undefined;
}

const serve = (next: boolean) =>
  action<Kv>({
    plugin: 'router_cache',
    needs: 'cache',
    compile: (args, site) =>
      compileKv(args, site, ['key'], 'invalid route syntax: you need to specify a cache key'),
    // a local cache answers at once: no generator (the engine's fast path); a remote one suspends
    run(run, kv) {
      const key = get(run, kv, 'key') ?? '';
      const answer = run.host.cache({ op: 'get', cache: get(run, kv, 'name'), key });
      if (answer instanceof Promise) return served(run, kv, key, answer, next);
      return answerWith(run, kv, key, hitOf(answer), next);
    },
  });

function* served(run: RouteRun, kv: Kv, key: string, answer: Promise<CacheAnswer>, next: boolean) {
  return answerWith(run, kv, key, hitOf(yield* io(answer)), next);
}

/** A hit becomes the response (uWSGI's headers, in its order); a miss goes on with the chain. */
function answerWith(run: RouteRun, kv: Kv, key: string, hit: CacheHit | undefined, next: boolean): RouteCode {
  if (hit === undefined) return RouteCode.NEXT;
  const value = hit.value;
  const mime = truthy(get(run, kv, 'mime')) ? run.host.mimeType(key) : undefined;
  const headers: [string, string][] = [['Content-Type', get(run, kv, 'content_type') ?? mime ?? 'text/html']];
  const encoding = get(run, kv, 'content_encoding');
  if (encoding !== undefined) headers.push(['Content-Encoding', encoding]);
  if (hit.expires > 0) headers.push(['Expires', httpDate(hit.expires)]);
  if (!truthy(get(run, kv, 'no_cl'))) headers.push(['Content-Length', String(value.byteLength)]);
  run.outcome.response = { status: 200, statusLine: '200 OK', headers, body: value, close: false };
  if (truthy(get(run, kv, 'no_offload'))) run.outcome.noOffload = true;
  return next ? RouteCode.NEXT : RouteCode.BREAK;
}

const store = action<Kv>({
  plugin: 'router_cache',
  needs: 'cache',
  compile: (args, site) =>
    compileKv(args, site, ['key'], 'invalid cachestore route syntax: you need to specify a cache key'),
  run(run, kv) {
    const status = get(run, kv, 'status');
    run.outcome.transforms.push({
      kind: 'cachestore',
      cache: get(run, kv, 'name'),
      key: get(run, kv, 'key') ?? '',
      expires: atoi(get(run, kv, 'expires') ?? '0'),
      gzipKey: get(run, kv, 'gzip'),
      status: status === undefined ? 200 : atoi(status),
    });
    return RouteCode.NEXT;
  },
});

const update = (op: 'inc' | 'dec' | 'mul' | 'div') =>
  action<Kv>({
    plugin: 'router_cache',
    needs: 'cache',
    compile: (args, site) =>
      compileKv(args, site, ['key'], `invalid cache${op} route syntax: you need to specify a cache key`),
    *run(run, kv) {
      const by = get(run, kv, 'value');
      yield* io(
        run.host.cache({
          op,
          cache: get(run, kv, 'name'),
          key: get(run, kv, 'key') ?? '',
          by: by === undefined ? 1 : atoi(by),
          expires: atoi(get(run, kv, 'expires') ?? '0'),
        }),
      );
      return RouteCode.NEXT;
    },
  });

export const CACHE_ACTIONS = {
  cache: serve(false),
  'cache-continue': serve(true),
  cachevar: action<Kv>({
    plugin: 'router_cache',
    needs: 'cache',
    compile: (args, site) =>
      compileKv(
        args,
        site,
        ['key', 'var'],
        'invalid cachevar route syntax: you need to specify a cache key and a var',
      ),
    *run(run, kv) {
      const hit = hitOf(
        yield* io(run.host.cache({ op: 'get', cache: get(run, kv, 'name'), key: get(run, kv, 'key') ?? '' })),
      );
      if (hit !== undefined) run.set(get(run, kv, 'var') ?? '', Buffer.from(hit.value).toString('utf8'));
      return RouteCode.NEXT;
    },
  }),
  cacheset: action<Kv>({
    plugin: 'router_cache',
    needs: 'cache',
    compile: (args, site) =>
      compileKv(
        args,
        site,
        ['key', 'value'],
        'invalid cacheset route syntax: you need to specify a cache key and a value',
      ),
    *run(run, kv) {
      yield* io(
        run.host.cache({
          op: 'set',
          cache: get(run, kv, 'name'),
          key: get(run, kv, 'key') ?? '',
          value: toBytes(get(run, kv, 'value') ?? ''),
          expires: atoi(get(run, kv, 'expires') ?? '0'),
        }),
      );
      return RouteCode.NEXT;
    },
  }),
  cachestore: store,
  'cache-store': store,
  cacheinc: update('inc'),
  cachedec: update('dec'),
  cachemul: update('mul'),
  cachediv: update('div'),
} as const;
