// The shared services' fallback when the addon could not be built (README "Shared memory"): the
// master keeps them in a private region and answers the workers' calls on a unix socket, one at a
// time (its event loop is the lock). Locks taken with lock() are held per connection: a call that
// needs a lock held by another worker waits for its unlock, and a worker that dies releases what
// it held.

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frame, type RemoteCall, unframe } from './remote-frames.js';
import type { SharedServices } from './shared-services.js';

interface Pending {
  readonly conn: net.Socket;
  readonly call: RemoteCall;
}

/** What a call needs held, if anything: the user lock or the sharedarea it acts on. */
function lockKey(call: RemoteCall): string | undefined {
  const [kind, id] = call.target;
  if (kind === 'locks') return `locks:${String(id)}`;
  if (kind === 'sharedareas') return `sharedareas:${String(id)}`;
  return undefined;
}

const isLockCall = (call: RemoteCall) =>
  (call.method === 'lock' || call.method === 'unlock') &&
  (call.target[0] === 'locks' || (call.target[0] === 'sharedareas' && call.target[2] === 'lock'));

export class SharedHost {
  private server: net.Server | undefined;
  private dir: string | undefined;
  private readonly holders = new Map<string, net.Socket>();
  private readonly waiting = new Map<string, Pending[]>();

  constructor(private readonly services: SharedServices) {}

  /** Listens; resolves with the socket path the workers connect to. */
  async start(): Promise<string> {
    this.dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-shared-'));
    chmodSync(this.dir, 0o700);
    const path = join(this.dir, 'shared.sock');
    this.server = net.createServer((conn) => this.accept(conn));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(path, () => resolve());
    });
    this.server.unref();
    return path;
  }

  private accept(conn: net.Socket): void {
    let buffered: Buffer = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      const { values, rest } = unframe(Buffer.concat([buffered, chunk]));
      buffered = rest;
      for (const call of values) this.handle({ conn, call: call as RemoteCall });
    });
    conn.on('error', () => {});
    conn.on('close', () => {
      for (const [key, holder] of [...this.holders]) if (holder === conn) this.release(key);
      for (const [key, list] of this.waiting)
        this.waiting.set(
          key,
          list.filter((p) => p.conn !== conn),
        );
    });
  }

  private handle(p: Pending): void {
    const key = lockKey(p.call);
    const holder = key === undefined ? undefined : this.holders.get(key);
    if (key !== undefined && isLockCall(p.call)) {
      if (p.call.method === 'unlock') {
        if (holder === p.conn) this.release(key);
        this.answer(p.conn, { ok: undefined });
      } else if (holder === undefined) {
        this.holders.set(key, p.conn);
        this.answer(p.conn, { ok: undefined });
      } else this.queue(key, p);
      return;
    }
    // an operation on a sharedarea another worker holds waits for its unlock, as in shared memory
    if (key !== undefined && holder !== undefined && holder !== p.conn) {
      this.queue(key, p);
      return;
    }
    this.answer(p.conn, this.run(p.call));
  }

  private queue(key: string, p: Pending): void {
    const list = this.waiting.get(key) ?? [];
    list.push(p);
    this.waiting.set(key, list);
  }

  private release(key: string): void {
    this.holders.delete(key);
    const list = this.waiting.get(key) ?? [];
    while (list.length > 0 && !this.holders.has(key)) this.handle(list.shift() as Pending);
  }

  private run(call: RemoteCall): { ok: unknown } | { error: { code: string; message: string } } {
    try {
      const object = this.resolve(call.target) as Record<string, unknown> | undefined;
      const fn = object?.[call.method];
      if (typeof fn !== 'function') throw new Error(`no ${call.method} on ${call.target.join('.')}`);
      return { ok: (fn as (...a: unknown[]) => unknown).apply(object, [...call.args]) };
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown };
      return {
        error: {
          code: typeof e.code === 'string' ? e.code : 'ERR_API_UNAVAILABLE',
          message: String(e.message),
        },
      };
    }
  }

  private resolve(target: ReadonlyArray<string | number>): unknown {
    const [kind, id, sub] = target;
    const s = this.services;
    switch (kind) {
      case 'locks':
        return s.locks[Number(id)];
      case 'sharedareas': {
        const area = s.sharedareas[Number(id)];
        return sub === 'lock' ? area?.lock : area;
      }
      case 'caches':
        return s.caches.get(String(id));
      case 'metrics':
        return s.metrics;
      default:
        return undefined;
    }
  }

  private answer(conn: net.Socket, answer: unknown): void {
    if (!conn.destroyed) conn.write(frame(answer));
  }

  close(): void {
    this.server?.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
