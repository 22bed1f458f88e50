// The package root, what an app gets from `import { ... } from 'uwsgi-ts'` (uWSGI's `import uwsgi`):
// the app API of src/api/. The only barrel of the package (STYLE.md). Every function works inside
// a uwsgi-ts worker only and throws ERR_API_OUTSIDE_SERVER elsewhere; errors carry a `code` to
// compare (an app may hold another copy of the package, so compare codes, not classes).

export { alarm } from './api/alarm.js';
export {
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
  type RemoteCache,
  remoteCache,
} from './api/cache.js';
export { chunkedRead, chunkedReadNb } from './api/chunked-input.js';
export { setUserHarakiri } from './api/harakiri.js';
export { lock, unlock } from './api/locks.js';
export {
  metricDec,
  metricDiv,
  metricGet,
  metricGetBig,
  metricInc,
  metricMul,
  metricSet,
  metricSetMax,
  metricSetMin,
} from './api/metrics.js';
export { farmGetMsg, farmMsg, muleFunction, muleGetMsg, muleId, muleMsg } from './api/mule.js';
export {
  type RpcArgument,
  type RpcFunction,
  type RpcResult,
  registerRpc,
  rpc,
  rpcList,
} from './api/rpc.js';
export { SharedareaView, sharedarea } from './api/sharedarea.js';
export {
  addCron,
  addFileMonitor,
  addRbTimer,
  addTimer,
  registerSignal,
  type SignalHandler,
  type SignalTargetName,
  signal,
  signalReceived,
  signalRegistered,
  signalWait,
} from './api/signals.js';
export {
  SPOOL_IGNORE,
  SPOOL_OK,
  SPOOL_RETRY,
  type SpoolArgs,
  type SpoolTask,
  type SpoolTaskContext,
  type SpoolTaskFunction,
  type SpoolValue,
  setSpooler,
  spool,
  spoolTask,
} from './api/spool.js';
export { UwsgiWebSocket, type WebSocketOptions, websocketHandshake } from './api/websocket.js';
export { masterPid, requestsServed, workerId } from './api/worker-info.js';
export type { ErrorCode } from './errors.js';
