// The vassal role on the generic supervisor, with injected spawn and clock: a vassal that dies
// before it is loyal waits emperor-throttle ms more each time (logged), up to emperor-max-throttle;
// a loyal one is respawned at once; the blacklist can be cleared (SIGURG).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { processHost } from '../../../src/cli/main.js';
import { loadConfig } from '../../../src/config/load.js';
import { vassalRole } from '../../../src/emperor/vassal-role.js';
import { Supervisor } from '../../../src/master/supervisor/supervisor.js';

class FakeVassal extends EventEmitter {
  readonly sent: unknown[] = [];
  constructor(readonly pid: number) {
    super();
  }
  send(message: unknown): boolean {
    this.sent.push(message);
    return true;
  }
  kill(): boolean {
    return true;
  }
}

function harness(args: readonly string[]) {
  const { config } = loadConfig(['--emperor', '/nonexistent', ...args], { ...processHost(), log: () => {} });
  let now = 0;
  let pid = 100;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const children: FakeVassal[] = [];
  const lines: string[] = [];
  const sup = new Supervisor<undefined>({
    role: vassalRole(config, (id) => `v${id}.ini`),
    spawn: () => {
      const c = new FakeVassal(pid++);
      children.push(c);
      return c;
    },
    onMessage: (slot, message) => {
      if ((message as { t?: string }).t === 'loyal') sup.markReady(slot);
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
    mercyMs: () => 30_000,
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
  const last = () => children.at(-1);
  sup.active.add(1);
  sup.spawn(1, sup.generation, false);
  return { sup, children, lines, advance, last };
}

describe('vassal throttling', () => {
  it('waits one emperor-throttle more after each death before loyalty, logged, up to the maximum', () => {
    const h = harness(['--emperor-throttle', '100', '--emperor-max-throttle', '250']);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = h.children.length;
      h.last()?.emit('exit', 1, null);
      let waited = 0;
      while (h.children.length === before) {
        h.advance(10);
        waited += 10;
      }
      waits.push(waited);
    }
    assert.deepEqual(waits, [100, 200, 250, 250]);
    assert.ok(
      h.lines.some((l) =>
        l.includes('unloyal bad behaving vassal found: v1.ini throttling it... (next attempt in 200 ms)'),
      ),
    );
    assert.ok(h.lines.some((l) => l.includes('maximum throttle level for vassal v1.ini reached !!!')));
  });

  it('respawns a loyal vassal at once, and a cleared blacklist starts over', () => {
    const h = harness(['--emperor-throttle', '100']);
    h.last()?.emit('exit', 1, null);
    h.advance(100);
    h.last()?.emit('exit', 1, null);
    assert.equal(h.sup.quickDeathCount(1), 2);
    h.sup.forgive(1);
    h.advance(200);
    h.last()?.emit('message', { t: 'loyal' });
    const before = h.children.length;
    h.last()?.emit('exit', 1, null);
    assert.equal(h.children.length, before + 1, 'respawned at once');
  });

  it('emperor-no-blacklist respawns at once, always', () => {
    const h = harness(['--emperor-no-blacklist']);
    for (let i = 0; i < 3; i++) h.last()?.emit('exit', 1, null);
    assert.equal(h.children.length, 4);
  });
});
