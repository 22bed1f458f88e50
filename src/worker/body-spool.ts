// post-buffering (reference §2.1): the whole request body is read before the app sees the
// request, bodies of at least N bytes into a temp file, smaller ones into memory, so that a
// slow upload never holds the app. Used by the uwsgi/FastCGI/SCGI bridges, which own the body.

import { createReadStream, createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class BodySpool {
  private readonly chunks: Buffer[] = [];
  private file: WriteStream | undefined;
  private dir: string | undefined;

  constructor(contentLength: number, threshold: number) {
    if (contentLength >= threshold) {
      this.dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-body-'));
      this.file = createWriteStream(join(this.dir, 'body'));
    }
  }

  /** Keeps a body chunk; false when the caller should pause its source until `drained`. */
  add(chunk: Buffer): boolean {
    if (this.file) return this.file.write(chunk);
    this.chunks.push(chunk);
    return true;
  }

  drained(fn: () => void): void {
    if (this.file) this.file.once('drain', fn);
    else fn();
  }

  /**
   * Once the body is complete: feeds it through `feed` (false = stop until `resume()`), then
   * calls `done`. Returns the resume function for the consumer's read requests.
   */
  replay(feed: (chunk: Buffer) => boolean, done: () => void): { resume(): void } {
    if (!this.file) {
      for (const chunk of this.chunks) feed(chunk);
      this.chunks.length = 0;
      done();
      return { resume: () => {} };
    }
    const file = this.file;
    const path = String(file.path);
    let reader: ReturnType<typeof createReadStream> | undefined;
    let wanted = true;
    file.end(() => {
      reader = createReadStream(path);
      reader.on('data', (chunk) => {
        if (!feed(chunk as Buffer)) reader?.pause();
      });
      reader.on('end', () => {
        this.dispose();
        done();
      });
      reader.on('error', () => this.dispose());
      if (!wanted) reader.pause();
    });
    return {
      resume: () => {
        wanted = true;
        reader?.resume();
      },
    };
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
