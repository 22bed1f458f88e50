// The master's relay of handed router connections (src/gateway/http/handoff-relay.ts): round robin
// over the serving workers, the master's copy closed once a worker has the handle, a failed send
// tried on another worker, a connection held while no worker serves (a reload between
// generations) and closed, logged, when none comes in time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandoffRelay, type RawHandle } from '../../../src/gateway/http/handoff-relay.js';
import type { ChildProcessLike } from '../../../src/master/supervisor/child.js';

class FakeProc {
  readonly got: unknown[] = [];
  connected = true;
  constructor(private readonly fails = false) {}
  send(_m: unknown, handle?: unknown, _o?: object, cb?: (err: Error | null) => void): boolean {
    if (this.fails) setImmediate(() => cb?.(new Error('channel closed')));
    else {
      this.got.push(handle);
      setImmediate(() => cb?.(null));
    }
    return true;
  }
  kill(): boolean {
    return true;
  }
  on(): this {
    return this;
  }
}

class FakeHandle implements RawHandle {
  closed = 0;
  close(): void {
    this.closed++;
  }
}

const asProc = (p: FakeProc) => ({ proc: p as unknown as ChildProcessLike });
// the fake sends answer on setImmediate: wait for those queued before this one, then `ms` more (a
// timer alone can fire first on a loaded machine, when the loop is late into its check phase)
const tick = async (ms = 5) => {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, ms));
};
const MSG = { t: 'handed', serverName: 'h' } as const;

describe('HandoffRelay', () => {
  it('hands round robin and closes the master copy once sent', async () => {
    const a = new FakeProc();
    const b = new FakeProc();
    const relay = new HandoffRelay({ serving: () => [asProc(a), asProc(b)] }, () => {});
    const handles = [new FakeHandle(), new FakeHandle(), new FakeHandle()];
    for (const h of handles) relay.relay(h, MSG);
    await tick();
    assert.deepEqual(a.got, [handles[0], handles[2]]);
    assert.deepEqual(b.got, [handles[1]]);
    assert.deepEqual(
      handles.map((h) => h.closed),
      [1, 1, 1],
    );
  });

  it('a failed send goes to another worker', async () => {
    const dead = new FakeProc(true);
    const live = new FakeProc();
    const relay = new HandoffRelay({ serving: () => [asProc(dead), asProc(live)] }, () => {});
    const h = new FakeHandle();
    relay.relay(h, MSG);
    await tick(100);
    assert.deepEqual(live.got, [h]);
    assert.equal(h.closed, 1);
  });

  it('waits for a serving worker, then hands', async () => {
    const w = new FakeProc();
    let serving: ReturnType<typeof asProc>[] = [];
    const relay = new HandoffRelay({ serving: () => serving }, () => {});
    const h = new FakeHandle();
    relay.relay(h, MSG);
    await tick(60);
    assert.equal(h.closed, 0);
    serving = [asProc(w)];
    await tick(100);
    assert.deepEqual(w.got, [h]);
  });

  it('closes and logs a connection no worker took in time', async () => {
    const lines: string[] = [];
    const relay = new HandoffRelay({ serving: () => [] }, (l) => lines.push(l));
    const h = new FakeHandle();
    relay.relay(h, MSG, Date.now() - 10_000);
    assert.equal(h.closed, 1);
    assert.equal(relay.dropped, 1);
    assert.match(lines[0] ?? '', /no worker took a handed connection/);
  });
});
