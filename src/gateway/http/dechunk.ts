// Undoes a backend's own chunked framing (an HTTP backend behind http-to may chunk): the router
// frames the body again for its client. A codec: bytes in, body bytes out, `done` at the last chunk.

export class Dechunker {
  private state: 'size' | 'data' | 'crlf' | 'trailer' | 'done' = 'size';
  private line = '';
  private left = 0;

  get done(): boolean {
    return this.state === 'done';
  }

  /** The body bytes in `chunk`; throws on bad framing. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < chunk.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.left, chunk.length - i);
        out.push(chunk.subarray(i, i + n));
        i += n;
        this.left -= n;
        if (this.left === 0) this.state = 'crlf';
        continue;
      }
      const nl = chunk.indexOf(10, i);
      const end = nl < 0 ? chunk.length : nl;
      this.line += chunk.toString('latin1', i, end);
      if (this.line.length > 4096) throw new Error('chunk line too long');
      i = end;
      if (nl < 0) break;
      i++;
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      if (this.state === 'crlf') {
        if (line !== '') throw new Error('missing CRLF after a chunk');
        this.state = 'size';
      } else if (this.state === 'size') {
        const size = Number.parseInt(line.split(';')[0] ?? '', 16);
        if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size "${line.slice(0, 20)}"`);
        if (size === 0) this.state = 'trailer';
        else {
          this.left = size;
          this.state = 'data';
        }
      } else if (line === '') this.state = 'done';
    }
    return out;
  }
}
