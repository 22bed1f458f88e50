// What every process that runs app code (a worker, a mule) sets up before the code loads: the
// instance's shared memory (or its IPC fallback), the caches and metrics the API and the routing
// reach, the RPC table's size and the uwsgi signal table's link to the master.

import { setWorkerCaches } from '../cache/worker-caches.js';
import { setMetricStore } from '../metrics/metric-lookup.js';
import { setPythonCacheMap } from '../python/python-cache-map.js';
import { workerRpc } from '../rpc/worker-rpc.js';
import { openRegion } from '../shared/region.js';
import { remoteServices, SyncChannel } from '../shared/remote-client.js';
import { SharedServices } from '../shared/shared-services.js';
import { workerSignals } from '../signal/worker-signals.js';
import type { WorkerPlan } from './plan.js';

/**
 * `log` takes whole lines with their newline. `signalsChanged`: called when a signal handler is
 * registered or a signalWait() starts or ends (a mule keeps itself alive by it).
 */
export function attachProcessServices(
  plan: WorkerPlan,
  log: (line: string) => void,
  signalsChanged?: () => void,
): SharedServices | undefined {
  // the instance's shared memory, mapped from the fd the master passed (src/shared/region.ts)
  const shared = !plan.shared
    ? undefined
    : plan.sharedRemote
      ? remoteServices(plan.shared, new SyncChannel(plan.sharedRemote))
      : new SharedServices(plan.shared, openRegion(plan.shared.layout), (line) => log(`${line}\n`));
  setWorkerCaches(shared?.caches);
  // Python processes read these caches in place when the region is really shared (python-cache-map.ts)
  setPythonCacheMap(shared?.caches, shared !== undefined && !plan.sharedRemote && shared.region.shared);
  setMetricStore(shared?.metrics);
  workerRpc.setMax(plan.rpcMax);
  // uwsgi signals: handlers registered at import time log and reach the master (src/signal/)
  workerSignals.attach({
    wid: plan.id,
    who: plan.mule ? `mule ${plan.mule.id}` : `worker ${plan.id}`,
    log: (line) => log(`${line}\n`),
    send: (m) => process.send?.(m) ?? false,
    ...(signalsChanged ? { changed: signalsChanged } : {}),
  });
  return shared;
}
