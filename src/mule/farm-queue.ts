// Farm messages on the master's side (seed manual, "uWSGI Mules": farm_msg / farm_get_msg): a
// message for a farm waits in the farm's queue until one of its mules asks for one, so the first
// free mule takes it, as uWSGI's mules read a farm's shared queue. A mule asks once per
// farmGetMsg() call; its asks are forgotten when it dies, and a message is removed from the queue
// only when it is handed to a mule that asked.

export interface FarmQueueOptions {
  /** Farm name -> the ids of its mules (mule-config.ts). */
  readonly farms: ReadonlyMap<string, readonly number[]>;
  /** Hands `data` to the mule process `pid`; false when it is gone. */
  send(pid: number, data: Buffer): boolean;
}

interface Ask {
  readonly pid: number;
  readonly farms: readonly string[];
}

export class FarmQueue {
  private readonly queues = new Map<string, Buffer[]>();
  /** Mules waiting in farmGetMsg(), oldest first. */
  private asks: Ask[] = [];

  constructor(private readonly options: FarmQueueOptions) {
    for (const name of options.farms.keys()) this.queues.set(name, []);
  }

  has(farm: string): boolean {
    return this.queues.has(farm);
  }

  /** Queues a message for `farm` (false for a farm that does not exist), then serves the askers. */
  enqueue(farm: string, data: Buffer): boolean {
    const queue = this.queues.get(farm);
    if (!queue) return false;
    queue.push(data);
    this.serve();
    return true;
  }

  /** Mule `id` (process `pid`) waits for a message of any of its farms. */
  ask(pid: number, id: number): void {
    const farms = [...this.options.farms].filter(([, ids]) => ids.includes(id)).map(([name]) => name);
    if (farms.length === 0) return;
    this.asks.push({ pid, farms });
    this.serve();
  }

  /** A mule process is gone: its asks go with it. */
  forget(pid: number): void {
    this.asks = this.asks.filter((a) => a.pid !== pid);
  }

  /** Messages waiting, all farms together. */
  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  private serve(): void {
    for (let i = 0; i < this.asks.length; ) {
      const ask = this.asks[i] as Ask;
      const queue = ask.farms.map((f) => this.queues.get(f) as Buffer[]).find((q) => q.length > 0);
      if (!queue) {
        i++;
        continue;
      }
      this.asks.splice(i, 1);
      const data = queue[0] as Buffer;
      // handed only to a live mule: otherwise it stays queued for the next asker
      if (this.options.send(ask.pid, data)) queue.shift();
    }
  }
}
