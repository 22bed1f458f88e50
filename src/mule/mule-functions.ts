// muleFunction() (the counterpart of uwsgidecorators' @mulefunc): a function registered by name in
// every process that imports the module, whose calls from a worker become a mule message that the
// mule runs. The message is JSON with a marker key, so a mule tells it from a plain mule message;
// a mule with no function of that name leaves the message to muleGetMsg().

export const MULEFUNC_KEY = 'uwsgi_ts_mulefunc';

export type MuleFunction = (...args: unknown[]) => unknown;

const registry = new Map<string, MuleFunction>();

export function registerMuleFunction(name: string, fn: MuleFunction): void {
  registry.set(name, fn);
}

/** Whether this process registered any (a programmed mule then stays alive to run them). */
export function hasMuleFunctions(): boolean {
  return registry.size > 0;
}

/** The message a call becomes. */
export function encodeMuleCall(name: string, args: readonly unknown[]): Buffer {
  return Buffer.from(JSON.stringify({ [MULEFUNC_KEY]: name, args }), 'utf8');
}

/** The registered function and arguments of a mulefunc message; undefined for any other message. */
export function decodeMuleCall(
  data: Buffer,
): { fn: MuleFunction; args: unknown[]; name: string } | undefined {
  // cheap test first: a plain message is never parsed
  if (data[0] !== 0x7b || !data.includes(MULEFUNC_KEY)) return undefined;
  try {
    const parsed = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    const name = parsed[MULEFUNC_KEY];
    const fn = typeof name === 'string' ? registry.get(name) : undefined;
    if (!fn || typeof name !== 'string') return undefined;
    return { fn, args: Array.isArray(parsed['args']) ? (parsed['args'] as unknown[]) : [], name };
  } catch {
    return undefined;
  }
}
