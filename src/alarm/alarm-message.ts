// `alarm(name, message)` from an app: the worker sends this over its IPC channel and the master
// raises the alarm (alarms run in the master, as in uWSGI where workers write to the alarm
// thread's pipe). Checked at the trust boundary: a worker runs user code.

export interface AlarmMessage {
  readonly t: 'alarm';
  readonly name: string;
  readonly message: string;
}

export function alarmMessage(name: string, message: string): AlarmMessage {
  return { t: 'alarm', name, message };
}

export function isAlarmMessage(value: unknown): value is AlarmMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v['t'] === 'alarm' && typeof v['name'] === 'string' && typeof v['message'] === 'string';
}
