// A mule's messages (seed manual, "Giving a brain to mules": mule_msg / mule_get_msg): what the
// master routed here waits in a queue until muleGetMsg() takes it; several waiters are served in
// turn. One per process, module-level like the signal table. `changed` lets the mule keep itself
// alive only while somebody waits (src/mule/mule-main.ts).

export class MuleInbox {
  private readonly queue: Buffer[] = [];
  private waiters: Array<(message: Buffer) => void> = [];
  /** Set by the mule: called when the number of waiters changes. */
  changed: () => void = () => {};

  deliver(message: Buffer): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(message);
      this.changed();
    } else this.queue.push(message);
  }

  /** The next message (at once when one is queued). */
  get(): Promise<Buffer> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.changed();
    });
  }

  /** The next message, or undefined when none came within `ms` (the waiter is removed then). */
  getWithin(ms: number): Promise<Buffer | undefined> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const waiter = (message: Buffer) => {
        clearTimeout(timer);
        resolve(message);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.changed();
        resolve(undefined);
      }, ms);
      this.waiters.push(waiter);
      this.changed();
    });
  }

  get waiting(): number {
    return this.waiters.length;
  }
}

export const muleInbox = new MuleInbox();
/** Farm messages (farmGetMsg()): each one the answer to one ask sent to the master. */
export const farmInbox = new MuleInbox();
