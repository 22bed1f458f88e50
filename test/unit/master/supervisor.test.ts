// The generic supervisor, once per role row (workers, mules), with injected spawn and clock:
// respawn back-off, a generation that fails to start keeps the old one, a chain reload cut short
// by a full reload, a reload during a drain, a stop during a reload, sends to a closed channel.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { RoleSpec } from '../../../src/master/supervisor/role.js';
import { Supervisor } from '../../../src/master/supervisor/supervisor.js';
import { WORKER_ROLE } from '../../../src/master/worker-role.js';
import { MULE_ROLE } from '../../../src/mule/mule-pool.js';

class FakeChild extends EventEmitter {
  readonly sent: unknown[] = [];
  readonly signals: string[] = [];
  connected = true;
  constructor(readonly pid: number) {
    super();
  }
  send(message: unknown): boolean {
    if (!this.connected) throw Object.assign(new Error('Channel closed'), { code: 'ERR_IPC_CHANNEL_CLOSED' });
    this.sent.push(message);
    return true;
  }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    return true;
  }
  ready(): void {
    this.emit('message', { t: 'ready', apps: 1 });
  }
  exit(code: number | null = 0, signal: NodeJS.Signals | null = null): void {
    this.connected = false;
    this.emit('exit', code, signal);
  }
  stopped(): boolean {
    return this.sent.some((m) => (m as { t?: string }).t === 'stop');
  }
}

function harness(role: RoleSpec) {
  let now = 0;
  let nextPid = 100;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const children: FakeChild[] = [];
  const lines: string[] = [];
  const sup = new Supervisor<undefined>({
    role,
    spawn: () => {
      const c = new FakeChild(nextPid++);
      children.push(c);
      return c;
    },
    onMessage: (slot, message) => {
      if ((message as { t?: string }).t === 'ready') sup.markReady(slot);
      if ((message as { t?: string }).t === 'failed') sup.markFailed(slot, 'broken');
    },
    meta: () => undefined,
    clock: {
      now: () => now,
      setTimeout: (fn, ms) => {
        timers.push({ at: now + ms, fn });
        return {};
      },
    },
    log: (line) => lines.push(line),
    respawn: true,
    mercyMs: () => 5000,
  });
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers.splice(timers.indexOf(due), 1);
      now = Math.max(now, due.at);
      due.fn();
    }
    now = end;
  };
  /** Lets the supervisor's awaits run. */
  const settle = () => new Promise((r) => setImmediate(r));
  const readyAll = () => {
    for (const c of children) if (c.connected) c.ready();
  };
  return { sup, children, lines, advance, settle, readyAll };
}

for (const role of [WORKER_ROLE, MULE_ROLE]) {
  describe(`supervisor, ${role.noun} role`, () => {
    it('respawns a child that dies after a long life at once, and backs off one that keeps dying young', async () => {
      const h = harness(role);
      const started = h.sup.start([1]);
      h.readyAll();
      await started;
      h.advance(60_000);
      h.children[0]?.exit(null, 'SIGKILL');
      assert.equal(h.children.length, 2, 'respawned at once');
      assert.ok(h.lines.some((l) => l.includes('(pid: 100)') && /died|crippled/.test(l)));
      h.children[1]?.exit(1);
      assert.equal(h.children.length, 2, 'a young death waits');
      h.advance(role.backoff.firstMs - 1);
      assert.equal(h.children.length, 2);
      h.advance(1);
      assert.equal(h.children.length, 3);
      h.children[2]?.exit(1);
      h.advance(role.backoff.firstMs * 2 - 1);
      assert.equal(h.children.length, 3, 'the second young death waits twice as long');
      h.advance(1);
      assert.equal(h.children.length, 4);
    });

    const restarts =
      role.reload === 'restart' ? 'this role restarts its children (no handshake, no overlap)' : false;
    it('a reload whose new generation fails keeps the old one serving', { skip: restarts }, async () => {
      const h = harness(role);
      const started = h.sup.start([1, 2]);
      h.readyAll();
      await started;
      const reloading = h.sup.reload();
      h.children[2]?.ready();
      h.children[3]?.emit('message', { t: 'failed' });
      await assert.rejects(reloading, /broken/);
      assert.ok(!h.children[0]?.stopped() && !h.children[1]?.stopped(), 'the old generation serves on');
      assert.ok(h.children[2]?.stopped() && h.children[3]?.stopped(), 'the failed generation is stopped');
      h.children[2]?.exit(0);
      h.children[3]?.exit(1);
      h.advance(20_000);
      assert.equal(h.children.length, 4, 'nothing respawned for the failed generation');
      assert.deepEqual(
        h.sup.serving().map((s) => s.pid),
        [100, 101],
      );
    });

    it('a chain reload is cut short by a full reload, which replaces every child', async () => {
      const h = harness(role);
      const started = h.sup.start([1, 2, 3]);
      h.readyAll();
      await started;
      let full = false;
      const chain = h.sup.chainReload(() => full);
      // the replacement of child 1 is starting; a full reload is asked for
      assert.equal(h.children.length, 4);
      full = true;
      h.children[3]?.ready();
      h.advance(50);
      await h.settle();
      assert.equal(await chain, false, 'the chain stops after the child being replaced');
      assert.equal(h.children.length, 4, 'children 2 and 3 were not replaced by the chain');
      const reloading = h.sup.reload();
      await h.settle();
      h.readyAll();
      h.advance(10);
      await h.settle();
      for (const c of h.children) if (c.stopped() && c.connected) c.exit(0);
      h.readyAll();
      await reloading;
      const serving = h.sup.serving().map((s) => s.pid);
      assert.equal(serving.length, 3);
      assert.ok(
        serving.every((pid) => pid > 103),
        `a new generation serves: ${serving}`,
      );
    });

    it('a reload during a drain: the draining child is killed after the mercy, the reload completes', async () => {
      const h = harness(role);
      const started = h.sup.start([1]);
      h.readyAll();
      await started;
      // a chain step drains child 1 (its replacement is ready)
      const chain = h.sup.chainReload(() => false);
      h.children[1]?.ready();
      h.advance(50);
      assert.ok(await chain);
      assert.ok(h.children[0]?.stopped(), 'draining');
      const reloading = h.sup.reload();
      await h.settle();
      h.readyAll();
      h.children[1]?.stopped() && h.children[1].exit(0);
      h.readyAll();
      await reloading;
      // the first child never exits on its own: the mercy ends it
      h.advance(5000);
      assert.deepEqual(h.children[0]?.signals, ['SIGKILL']);
      h.children[0]?.exit(null, 'SIGKILL');
      assert.equal(h.sup.serving().length, 1);
      assert.ok(!h.lines.some((l) => /DAMN|crippled/.test(l)), 'drained children are buried, not mourned');
    });

    it('a stop during a reload fails the reload and stops both generations', async () => {
      const h = harness(role);
      const started = h.sup.start([1]);
      h.readyAll();
      await started;
      const reloading = h.sup.reload().then(
        () => 'done',
        (err: Error) => err.message,
      );
      await h.settle();
      const stopped = h.sup.stop(1000);
      for (const c of h.children) if (c.connected) c.exit(0);
      await stopped;
      const outcome = await reloading;
      assert.ok(outcome === 'done' || /stopping/.test(outcome), outcome);
      assert.equal(h.sup.size, 0);
      h.advance(60_000);
      assert.equal(h.sup.size, 0, 'nothing respawns after a stop');
    });

    it('a send to a child whose channel closed neither throws nor crashes', async () => {
      const h = harness(role);
      const started = h.sup.start([1]);
      h.readyAll();
      await started;
      const child = h.children[0] as FakeChild;
      child.connected = false;
      assert.equal(h.sup.sendTo(child.pid, { t: 'stats?' }), false);
      // a retire that cannot send kills instead
      const slot = h.sup.slots()[0];
      assert.ok(slot);
      h.sup.retire(slot);
      assert.deepEqual(child.signals, ['SIGKILL']);
    });
  });
}
