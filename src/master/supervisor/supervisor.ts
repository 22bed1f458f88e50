// The one supervisor for every kind of child the master runs (a role: workers, mules, and next the
// gateways, spoolers, daemons, vassals): the children of its role (children.ts: spawn, handshake,
// respawn with back-off, drain, kill and reap) plus generations for graceful, chain and brutal
// reloads. What differs per role (log lines, handshake, reload policy, back-off) is the role's row
// (src/master/supervisor/role.ts).
//
// Every operation tolerates any other running at the same time: a stop fails the reloads waiting
// for a generation, a reload abandons a chain, a child may die at any step (SPEC "Lifecycle events
// of any kind may overlap; the master never dies of one").

import { safeKill } from './child.js';
import { Children, type Slot } from './children.js';

export type { Slot, SupervisorClock, SupervisorOptions } from './children.js';

export class Supervisor<M> extends Children<M> {
  /**
   * Replaces one child: its replacement is spawned first and it drains only once the replacement
   * is ready, so the sockets always have a child accepting. Resolves when done or abandoned.
   */
  recycle(slot: Slot<M>, why: string, abandon: () => boolean = () => false): Promise<void> {
    if (slot.recycling || slot.retiring || this.stopping) return Promise.resolve();
    slot.recycling = true;
    if (why) this.options.log(why);
    const replacement = this.spawn(slot.id, slot.generation, true);
    replacement.replacement = true;
    return new Promise((resolve) => {
      const check = () => {
        if (replacement.ready) {
          if (this.all.has(slot)) this.retire(slot);
          resolve();
        } else if (!this.all.has(replacement) || replacement.retiring || this.stopping || abandon()) {
          // the replacement died, or a stop or a full reload took over: the old one keeps its place
          slot.recycling = false;
          if (this.all.has(replacement) && !replacement.retiring) this.retire(replacement, true);
          resolve();
        } else this.options.clock.setTimeout(check, 50);
      };
      check();
    });
  }

  /** Chain reload: one child at a time, each replacement ready before its old one drains. */
  async chainReload(abandon: () => boolean): Promise<boolean> {
    const current = [...this.all].filter((s) => !s.retiring && !s.recycling && s.generation === this.current);
    for (const slot of current) {
      if (this.stopping || abandon()) return false;
      if (!this.all.has(slot) || slot.retiring) continue;
      await this.recycle(slot, this.options.role.lines.chainStep(slot.id, slot.pid), abandon);
    }
    return !this.stopping && !abandon();
  }

  /**
   * Graceful reload by the role's policy: `overlap` spawns a new generation and drains the old one
   * once all of it is ready (a generation that fails is stopped and the old one keeps serving);
   * `restart` stops every child, then spawns them again.
   */
  async reload(): Promise<void> {
    if (this.stopping) return;
    const old = [...this.all].filter((s) => !s.retiring);
    const ids = [...this.active].sort((a, b) => a - b);
    if (this.options.role.reload === 'restart') {
      await Promise.all(old.map((slot) => this.exited(slot, () => this.retire(slot))));
      if (this.stopping) return;
      this.current++;
      for (const id of ids) this.spawn(id, this.current, false);
      return;
    }
    const generation = ++this.current;
    for (const id of ids) this.spawn(id, generation, false);
    try {
      await this.whenReady(generation, ids.length);
    } catch (err) {
      for (const slot of [...this.all]) if (slot.generation === generation) this.retire(slot, true);
      // the old generation is the current one again (its respawns go on)
      if (this.current === generation) this.current = generation - 1;
      throw err;
    }
    for (const slot of old) this.retire(slot);
  }

  /** Brutal reload: a new generation is spawned and the old one killed at once. */
  brutalReload(): void {
    if (this.stopping) return;
    const old = [...this.all].filter((s) => !s.retiring);
    const generation = ++this.current;
    for (const id of [...this.active].sort((a, b) => a - b)) this.spawn(id, generation, false);
    for (const slot of old) {
      slot.retiring = true;
      slot.retiredAt = this.options.clock.now();
      safeKill(slot.proc, 'SIGKILL');
    }
    this.checkReady();
  }
}
