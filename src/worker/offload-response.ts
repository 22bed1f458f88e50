// A response object for an offload that replaces an app's response already under way (the
// X-Sendfile emulation: the response chain decides once the app's head is known). The app keeps
// its own `res`, whose writes routing now drops (response-router.ts); the static file server
// writes into this one instead, which sends through Node's own methods of the same response,
// past the routing hook. Only what the static server uses of a ServerResponse: head, headers,
// status, a Writable for its file streams, destroy.

import { Writable } from 'node:stream';
import { passEnd, passWrite, type UwsgiResponse } from './request.js';
import { drained, writeHeadExact } from './routing-output.js';

export class OffloadResponse extends Writable {
  statusCode = 200;
  statusMessage = '';
  private readonly fields: [string, string][] = [];
  private headed = false;

  constructor(
    private readonly res: UwsgiResponse,
    private readonly log: (line: string) => void,
  ) {
    super();
  }

  get headersSent(): boolean {
    return this.headed;
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    this.removeHeader(name);
    if (Array.isArray(value)) for (const v of value) this.fields.push([name, String(v)]);
    else this.fields.push([name, String(value)]);
    return this;
  }

  getHeader(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.fields.find(([k]) => k.toLowerCase() === lower)?.[1];
  }

  hasHeader(name: string): boolean {
    return this.getHeader(name) !== undefined;
  }

  removeHeader(name: string): void {
    const lower = name.toLowerCase();
    for (let i = this.fields.length - 1; i >= 0; i--)
      if ((this.fields[i] as [string, string])[0].toLowerCase() === lower) this.fields.splice(i, 1);
  }

  writeHead(status: number, reason?: unknown, headers?: unknown): this {
    this.statusCode = status;
    let h = headers;
    if (typeof reason === 'string') this.statusMessage = reason;
    else if (reason !== undefined && h === undefined) h = reason;
    if (h !== null && typeof h === 'object' && !Array.isArray(h)) {
      for (const [k, v] of Object.entries(h)) if (v !== undefined) this.setHeader(k, v as string);
    }
    this.head();
    return this;
  }

  private head(): void {
    if (this.headed) return;
    this.headed = true;
    writeHeadExact(this.res, this.statusCode, this.statusMessage || undefined, this.fields.flat(), this.log);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.head();
    if (this.res.destroyed) {
      callback(new Error('the client went away'));
      return;
    }
    if (passWrite(this.res, chunk)) callback();
    else drained(this.res).then(() => callback());
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.head();
    passEnd(this.res);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (err !== null || !this.writableFinished) this.res.destroy();
    callback(err);
  }
}
