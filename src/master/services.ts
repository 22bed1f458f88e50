// The master's services, in the order they open (each in its phase; closed in reverse). Adding a
// master-side subsystem is a row here and its file in src/master/services/.

import type { ServiceRow } from './master-context.js';
import { alarmsService } from './services/alarms.js';
import { cheaperService } from './services/cheaper.js';
import { emperorLinkService } from './services/emperor-link.js';
import { fifoService } from './services/fifo.js';
import { harakiriService } from './services/harakiri.js';
import { logsService } from './services/logs.js';
import { memoryService } from './services/memory.js';
import { metricsService } from './services/metrics.js';
import { posixSignalsService } from './services/posix-signals.js';
import { sharedService } from './services/shared.js';
import { signalsService } from './services/signals.js';
import { statsService } from './services/stats.js';
import { subscribeService } from './services/subscribe.js';
import { systemdNotifyService } from './services/systemd-notify.js';
import { watchersService } from './services/watchers.js';

export const SERVICES: readonly ServiceRow[] = [
  systemdNotifyService,
  alarmsService,
  logsService,
  sharedService,
  metricsService,
  signalsService,
  posixSignalsService,
  fifoService,
  statsService,
  watchersService,
  cheaperService,
  harakiriService,
  memoryService,
  emperorLinkService,
  subscribeService,
];
