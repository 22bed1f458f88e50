// Where a uwsgi signal goes (seed manual, Python API `register_signal(num, who, function)`): the
// target names uWSGI accepts, parsed once at registration, and their resolution by the master
// into the workers that run the handler, or into uWSGI's log line when nothing can. Sans-I/O.

/** A parsed target. uWSGI names: '' / worker / worker0, workerN, workers, active-workers, ... */
export type SignalTarget =
  | { readonly kind: 'any-worker' }
  | { readonly kind: 'worker'; readonly id: number }
  | { readonly kind: 'workers' }
  | { readonly kind: 'active-workers' }
  | { readonly kind: 'spooler'; readonly dir: string | undefined }
  | { readonly kind: 'any-mule' }
  | { readonly kind: 'mule'; readonly id: number }
  | { readonly kind: 'mules' }
  | { readonly kind: 'farm'; readonly name: string };

/** The fixed names; workerN, muleN, farm_NAME and /spooler/dir are matched by pattern below. */
const NAMED: Readonly<Record<string, SignalTarget>> = {
  '': { kind: 'any-worker' },
  worker: { kind: 'any-worker' },
  worker0: { kind: 'any-worker' },
  workers: { kind: 'workers' },
  'active-workers': { kind: 'active-workers' },
  spooler: { kind: 'spooler', dir: undefined },
  mule: { kind: 'any-mule' },
  mule0: { kind: 'any-mule' },
  mules: { kind: 'mules' },
};

/** Pattern targets, tried in order. */
const PATTERNS: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => SignalTarget]> = [
  [/^worker([1-9]\d{0,5})$/, (m) => ({ kind: 'worker', id: Number(m[1]) })],
  [/^mule([1-9]\d{0,5})$/, (m) => ({ kind: 'mule', id: Number(m[1]) })],
  [/^farm_(.+)$/, (m) => ({ kind: 'farm', name: m[1] ?? '' })],
  // uWSGI: a spooler is named by its absolute directory
  [/^(\/.*)$/, (m) => ({ kind: 'spooler', dir: m[1] })],
];

/** The target named `name`, or undefined when uWSGI would say `UNSUPPORTED SIGNAL TARGET`. */
export function parseSignalTarget(name: string): SignalTarget | undefined {
  const named = NAMED[name];
  if (named) return named;
  for (const [re, make] of PATTERNS) {
    const m = re.exec(name);
    if (m) return make(m);
  }
  return undefined;
}

/** How the registration line names a target (uWSGI prints the empty one as below). */
export function targetLabel(name: string): string {
  return name === '' ? 'default, any worker' : name;
}

/** A worker the master can deliver to: serving now (ready, not draining). */
export interface SignalPeer {
  readonly id: number;
  readonly pid: number;
  /** Signals sent to it that its handler has not finished yet. */
  readonly pending: number;
}

/** What the instance has besides workers (mules, spoolers and farms arrive with background work). */
export interface InstanceShape {
  /** `processes`: the highest worker id. */
  readonly processes: number;
  readonly mules: number;
  readonly spoolers: readonly string[];
  readonly farms: ReadonlyMap<string, readonly number[]>;
}

export type Resolution =
  /** The pids of the processes (workers or mules) to send it to. */
  | { readonly deliver: 'workers'; readonly pids: readonly number[] }
  | { readonly deliver: 'nowhere'; readonly lines: readonly string[] };

const nowhere = (...lines: string[]): Resolution => ({ deliver: 'nowhere', lines });

/**
 * The workers that get signal `num` now, or the lines uWSGI 2.0.21 logs when it cannot deliver
 * (test/fixtures/signal/uwsgi-2.0.21-signals.json; its errno lines are left out). `anyWorker`
 * picks the first available worker among the serving ones.
 */
export function resolveTarget(
  target: SignalTarget,
  num: number,
  running: {
    readonly workers: readonly SignalPeer[];
    readonly mules: readonly SignalPeer[];
    readonly spoolers?: readonly SignalPeer[];
  },
  shape: InstanceShape,
  pick: {
    readonly worker: (peers: readonly SignalPeer[]) => SignalPeer | undefined;
    readonly mule: (peers: readonly SignalPeer[]) => SignalPeer | undefined;
  },
): Resolution {
  const peers = running.workers;
  const mules = running.mules;
  const anyWorker = pick.worker;
  switch (target.kind) {
    case 'any-worker': {
      const peer = anyWorker(peers);
      return peer === undefined
        ? nowhere(`could not deliver signal ${num} to workers pool`)
        : { deliver: 'workers', pids: [peer.pid] };
    }
    case 'worker': {
      if (target.id > shape.processes) return nowhere(`invalid signal target: worker${target.id}`);
      const peer = newest(peers.filter((p) => p.id === target.id));
      return peer
        ? { deliver: 'workers', pids: [peer.pid] }
        : nowhere(`could not deliver signal ${num} to worker ${target.id}`);
    }
    // a stopped (cheap) worker has no process to run a handler: both reach the serving ones
    case 'workers':
    case 'active-workers':
      return { deliver: 'workers', pids: onePerId(peers) };
    // uWSGI writes it to the spoolers' one signal pipe, so one spooler runs it: the least busy
    case 'spooler': {
      const spooler = [...(running.spoolers ?? [])].sort((a, b) => a.pending - b.pending)[0];
      if (shape.spoolers.length === 0 || spooler === undefined)
        return nowhere(`could not deliver signal ${num} to the spooler`);
      return { deliver: 'workers', pids: [spooler.pid] };
    }
    // "the first available mule": the one with the fewest signals pending, in turn
    case 'any-mule': {
      const mule = pick.mule(mules);
      return mule
        ? { deliver: 'workers', pids: [mule.pid] }
        : nowhere(`could not deliver signal ${num} to a mule`);
    }
    case 'mule': {
      if (target.id > shape.mules) return nowhere(`invalid signal target: mule${target.id}`);
      const mule = mules.find((m) => m.id === target.id);
      return mule
        ? { deliver: 'workers', pids: [mule.pid] }
        : nowhere(`could not deliver signal ${num} to mule ${target.id}`);
    }
    case 'mules':
      // uWSGI: a loop over the mules, nothing said when there is none
      return mules.length > 0 ? { deliver: 'workers', pids: mules.map((m) => m.pid) } : nowhere();
    case 'farm': {
      const ids = shape.farms.get(target.name);
      if (!ids) return nowhere(`unknown farm: ${target.name}`);
      // a farm is a queue its mules share: the first available one takes the signal
      const mule = pick.mule(mules.filter((m) => ids.includes(m.id)));
      return mule
        ? { deliver: 'workers', pids: [mule.pid] }
        : nowhere(`could not deliver signal ${num} to farm ${target.name}`);
    }
  }
}

/** During a reload two processes may serve under one id for a moment: the later one (listed last). */
function newest(peers: readonly SignalPeer[]): SignalPeer | undefined {
  return peers[peers.length - 1];
}

function onePerId(peers: readonly SignalPeer[]): number[] {
  const byId = new Map<number, number>();
  for (const p of peers) byId.set(p.id, p.pid);
  return [...byId.values()];
}

/**
 * "The first available worker" (uWSGI: whichever worker reads the shared pipe first, that is an
 * idle one): the serving worker with the fewest signals still pending, in turn among equals.
 */
export class FirstAvailable {
  private last = 0;

  pick(peers: readonly SignalPeer[]): SignalPeer | undefined {
    if (peers.length === 0) return undefined;
    const least = Math.min(...peers.map((p) => p.pending));
    const idle = peers.filter((p) => p.pending === least).sort((a, b) => a.id - b.id);
    const next = idle.find((p) => p.id > this.last) ?? idle[0];
    this.last = next?.id ?? 0;
    return next;
  }
}
