// A worker's shared services when the addon could not be built: the same objects the app API
// uses (locks, sharedareas, caches, metrics), each call sent to the master (src/shared/
// remote-host.ts) and waited for synchronously, so the API stays synchronous. About 0.4 ms a call
// measured on a loaded 2-core machine: a fallback, not the normal path.

import { Worker } from 'node:worker_threads';
import { UwsgiError } from '../errors.js';
import { deserialize, type RemoteAnswer, serialize } from './remote-frames.js';
import type { SharedPlan } from './shared-plan.js';
import type { SharedServices } from './shared-services.js';

const CAPACITY = 8 * 1024 * 1024;
const IDLE = 0;
const CALL = 1;
const ANSWER = 2;
/** A master that does not answer for this long is gone. */
const TIMEOUT_MS = 60_000;

export class SyncChannel {
  private readonly state: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly thread: Worker;

  constructor(path: string) {
    const buffer = new SharedArrayBuffer(8 + CAPACITY);
    this.state = new Int32Array(buffer, 0, 2);
    this.bytes = new Uint8Array(buffer, 8);
    this.thread = new Worker(new URL('./remote-client-thread.js', import.meta.url), {
      workerData: { path, buffer },
    });
    this.thread.unref();
  }

  call(target: ReadonlyArray<string | number>, method: string, args: readonly unknown[]): unknown {
    const request = serialize({ target, method, args });
    if (request.length > CAPACITY)
      throw new UwsgiError(
        'ERR_API_BAD_ARGUMENT',
        `${method}(): ${request.length} bytes is too much for the master`,
      );
    this.bytes.set(request);
    Atomics.store(this.state, 1, request.length);
    Atomics.store(this.state, 0, CALL);
    Atomics.notify(this.state, 0);
    const until = Date.now() + TIMEOUT_MS;
    while (Atomics.load(this.state, 0) !== ANSWER) {
      if (Date.now() > until)
        throw new UwsgiError(
          'ERR_API_UNAVAILABLE',
          `${method}(): the master's shared services did not answer`,
        );
      Atomics.wait(this.state, 0, CALL, 1000);
    }
    const answer = deserialize(this.bytes.subarray(0, Atomics.load(this.state, 1))) as RemoteAnswer;
    Atomics.store(this.state, 0, IDLE);
    Atomics.notify(this.state, 0);
    if ('error' in answer)
      throw new UwsgiError(answer.error.code as 'ERR_API_UNAVAILABLE', answer.error.message);
    return answer.ok;
  }
}

/** An object whose methods are calls on `target` in the master; `fields` are answered locally. */
function remote(channel: SyncChannel, target: ReadonlyArray<string | number>, fields: object = {}): object {
  return new Proxy(fields, {
    get(local, key) {
      if (typeof key !== 'string' || key in local) return (local as Record<string | symbol, unknown>)[key];
      if (key === 'then') return undefined;
      return (...args: unknown[]) => channel.call(target, key, args);
    },
  });
}

/** The SharedServices shape over the channel (what the worker's API and packet handlers use). */
export function remoteServices(plan: SharedPlan, channel: SyncChannel): SharedServices {
  const caches = plan.caches.map((p) => remote(channel, ['caches', p.name], { name: p.name, plan: p }));
  const byName = new Map(plan.caches.map((p, i) => [p.name, caches[i]]));
  const cacheSet = {
    list: caches,
    get: (name = '') => (name === '' ? caches[0] : byName.get(name)),
    lookup: (name: string) => (name === '' ? caches[0] : byName.get(name)),
  };
  return {
    plan,
    locks: Array.from({ length: plan.locks.count }, (_, i) => remote(channel, ['locks', i])),
    sharedareas: plan.sharedareas.map((p) =>
      remote(channel, ['sharedareas', p.id], {
        plan: p,
        size: p.size,
        lock: remote(channel, ['sharedareas', p.id, 'lock']),
      }),
    ),
    caches: cacheSet,
    metrics: plan.metrics ? remote(channel, ['metrics'], { plan: plan.metrics }) : undefined,
  } as unknown as SharedServices;
}
