// The `uwsgi` module calls of a Python app (python/uwsgi.py), answered by its JS worker from the
// same app API a JS app uses (src/api/): a cache write from Python is seen by a JS app's
// cacheGet() at once, and back. One row per call; an answer is a tag byte and a value (N None,
// T True, F False, B bytes, I int, L list, E error), as python/uwsgi.py decodes it.

import {
  cacheClear,
  cacheDec,
  cacheDel,
  cacheDiv,
  cacheExists,
  cacheGet,
  cacheInc,
  cacheKeys,
  cacheMul,
  cacheNum,
  cacheSet,
  cacheUpdate,
} from '../api/cache.js';
import { setUserHarakiri } from '../api/harakiri.js';
import { lock, unlock } from '../api/locks.js';
import { rpc, rpcList } from '../api/rpc.js';
import { signal } from '../api/signals.js';
import { masterPid, requestsServed } from '../api/worker-info.js';
import { encodeList } from './python-frames.js';
import { MULE_CALLS, MULE_WAITS } from './python-mule-calls.js';
import { SHAREDAREA_CALLS } from './python-sharedarea-calls.js';
import { SIGNAL_CALLS, SIGNAL_WAITS } from './python-signal-calls.js';
import type { SignalRunner } from './python-signal-pool.js';
import { SPOOL_CALLS } from './python-spool-api.js';
import { WEBSOCKET_CALLS } from './python-websocket-api.js';

/** What the worker lends the calls beyond the app API. */
export interface ApiCaller {
  /** Every request this worker has taken (uwsgi.total_requests()). */
  totalRequests(): number;
}

/** What a call may ask of its app's process pool (python-app.ts). */
export interface PoolCalls {
  /** `proc` serves RPC function `name` (uwsgi.register_rpc). */
  registerRpc(name: string, proc: CallingProcess): void;
  /** `proc` has a handler for signal `num` (uwsgi.register_signal; python-signal-pool.ts). */
  registerSignal(num: number, target: string, proc: CallingProcess): void;
}

/** The process making the call: its current request's response (set_user_harakiri). */
export interface CallingProcess extends SignalRunner {
  readonly res: unknown;
  readonly pool: PoolCalls;
}

type Answer = Buffer | Promise<Buffer>;
export type Call = (args: readonly Buffer[], api: ApiCaller, proc: CallingProcess) => Answer;

const NONE = Buffer.from('N');
const TRUE = Buffer.from('T');

const bytes = (value: Buffer | undefined): Buffer =>
  value === undefined ? NONE : Buffer.concat([Buffer.from('B'), value]);
const ok = (value: boolean): Buffer => (value ? TRUE : NONE);
const int = (value: bigint | number | undefined): Buffer =>
  value === undefined ? NONE : Buffer.from(`I${value}`);
const list = (items: readonly Buffer[]): Buffer => Buffer.concat([Buffer.from('L'), encodeList(items)]);

/** The cache name argument: '' is the default cache. */
const cacheName = (arg: Buffer | undefined): string | undefined =>
  arg === undefined || arg.length === 0 ? undefined : arg.toString('utf8');
const num = (arg: Buffer | undefined, fallback: number): number =>
  arg === undefined || arg.length === 0 ? fallback : Number(arg.toString('latin1'));
const key = (arg: Buffer | undefined): Buffer => arg ?? Buffer.alloc(0);

const CALLS: Readonly<Record<string, Call>> = {
  cache_get: ([k, c]) => bytes(cacheGet(key(k), cacheName(c))),
  cache_set: ([k, v, e, c]) => ok(cacheSet(key(k), key(v), num(e, 0), cacheName(c))),
  cache_update: ([k, v, e, c]) => ok(cacheUpdate(key(k), key(v), num(e, 0), cacheName(c))),
  cache_del: ([k, c]) => ok(cacheDel(key(k), cacheName(c))),
  cache_exists: ([k, c]) => ok(cacheExists(key(k), cacheName(c))),
  cache_clear: ([c]) => {
    cacheClear(cacheName(c));
    return TRUE;
  },
  cache_keys: ([c]) => list(cacheKeys(cacheName(c)).map((s) => Buffer.from(s, 'latin1'))),
  cache_num: ([k, c]) => int(cacheNum(key(k), cacheName(c))),
  cache_inc: ([k, a, e, c]) => int(cacheInc(key(k), BigInt(num(a, 1)), num(e, 0), cacheName(c))),
  cache_dec: ([k, a, e, c]) => int(cacheDec(key(k), BigInt(num(a, 1)), num(e, 0), cacheName(c))),
  cache_mul: ([k, a, e, c]) => int(cacheMul(key(k), BigInt(num(a, 2)), num(e, 0), cacheName(c))),
  cache_div: ([k, a, e, c]) => int(cacheDiv(key(k), BigInt(num(a, 2)), num(e, 0), cacheName(c))),
  total_requests: (_args, api) => int(api.totalRequests()),
  requests: () => int(requestsServed()),
  set_user_harakiri: ([s], _api, proc) => {
    setUserHarakiri(num(s, 0), proc.res);
    return NONE;
  },
  // uWSGI's uwsgi.reload(): a graceful reload of the instance, as SIGHUP to the master
  reload: () => {
    process.kill(masterPid(), 'SIGHUP');
    return TRUE;
  },
  lock: ([n]) => {
    lock(num(n, 0));
    return NONE;
  },
  unlock: ([n]) => {
    unlock(num(n, 0));
    return NONE;
  },
  signal: ([n]) => {
    signal(num(n, 0));
    return NONE;
  },
  rpc: ([node, name, ...args]) =>
    rpc(
      node && node.length > 0 ? node.toString('utf8') : undefined,
      key(name).toString('utf8'),
      ...args,
    ).then((value) => bytes(value)),
  register_rpc: ([name], _api, proc) => {
    proc.pool.registerRpc(key(name).toString('utf8'), proc);
    return TRUE;
  },
  rpc_list: () => list(rpcList().map((s) => Buffer.from(s, 'utf8'))),
  ...SPOOL_CALLS,
  ...SIGNAL_CALLS,
  ...MULE_CALLS,
  ...SHAREDAREA_CALLS,
  ...WEBSOCKET_CALLS,
};

/** The calls that may wait long, answered on the events channel (python-events.ts). */
const WAITS: Readonly<Record<string, (args: readonly Buffer[]) => Promise<Buffer>>> = {
  ...SIGNAL_WAITS,
  ...MULE_WAITS,
};

function errorAnswer(err: unknown): Buffer {
  return Buffer.from(`E${err instanceof Error ? err.message : String(err)}`, 'utf8');
}

/** The answer to one waiting call (`items`: the op name, then its arguments). */
export function answerWait(items: readonly Buffer[]): Promise<Buffer> {
  const op = items[0]?.toString('latin1') ?? '';
  const wait = Object.hasOwn(WAITS, op) ? WAITS[op] : undefined;
  if (wait === undefined) return Promise.resolve(errorAnswer(`uwsgi.${op} is not served by uwsgi-ts`));
  return wait(items.slice(1)).then(undefined, errorAnswer);
}

/** The answer to one call (`items`: the op name, then its arguments); an error becomes an E answer. */
export function answerCall(api: ApiCaller, proc: CallingProcess, items: readonly Buffer[]): Answer {
  const op = items[0]?.toString('latin1') ?? '';
  const call = Object.hasOwn(CALLS, op) ? CALLS[op] : undefined;
  if (call === undefined) return errorAnswer(`uwsgi.${op} is not served by uwsgi-ts`);
  try {
    const answer = call(items.slice(1), api, proc);
    return answer instanceof Promise ? answer.then(undefined, errorAnswer) : answer;
  } catch (err) {
    return errorAnswer(err);
  }
}
