// What the Emperor does with each byte a vassal sends (reference §6.3 table): one row per message
// of src/emperor/emperor-messages.ts, so a new message without a handler does not compile.

import type { Slot } from '../master/supervisor/supervisor.js';
import type { Emperor } from './emperor.js';
import type { FromVassal } from './emperor-messages.js';
import { VassalProcess } from './vassal-process.js';
import type { Vassal, VassalMeta } from './vassal-state.js';

type Handler = (emperor: Emperor, vassal: Vassal, slot: Slot<VassalMeta>) => void;

/** Each byte a vassal sends, handled (reference §6.3 table). */
export const FROM_VASSAL_HANDLERS: Readonly<Record<FromVassal, Handler>> = {
  spawned: (e, v, slot) => {
    slot.meta.spawned = true;
    v.lastReady = Date.now();
    e.log(`[emperor] vassal ${v.file.name} has been spawned`);
  },
  accepting: (e, v, slot) => {
    slot.meta.accepting = true;
    v.lastAccepting = Date.now();
    e.log(`[emperor] vassal ${v.file.name} is ready to accept requests`);
  },
  loyal: (e, v, slot) => {
    slot.meta.loyal = true;
    v.lastLoyal = Date.now();
    e.log(`[emperor] vassal ${v.file.name} is now loyal`);
    // loyal clears the blacklist: its next death is respawned at once
    e.supervisor.markReady(slot);
  },
  heartbeat: (_e, _v, slot) => {
    slot.meta.lastHeartbeat = Date.now();
  },
  // a reloading vassal of a monitor that holds configs asks for its (maybe new) config again
  'config-request': (e, v, slot) => {
    const config = v.file.config;
    if (config !== undefined && slot.proc instanceof VassalProcess) slot.proc.pushConfig(config);
    else
      e.log(`[emperor] vassal ${v.file.name} asked for its config: it reads its own file (no config pipe)`);
  },
  'voluntary-shutdown': (e, v, slot) => {
    if (v.onDemand) {
      e.backToOnDemand(v, slot);
      return;
    }
    e.log(`[emperor] vassal ${v.file.name} asked to shut down: stopped until its config changes`);
    v.idle = true;
    e.supervisor.dismiss(slot);
  },
  sos: (e, v) =>
    e.log(`[emperor] vassal ${v.file.name} asked for reinforcements: broodlord mode is not served`),
};
