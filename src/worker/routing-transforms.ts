// The response transformations of the routing rules (reference §4.4, seeds 002 "uWSGI
// Transformations") applied to an app's body on its way out: a chain of Node streams, one stage
// per transformation that changes bytes, in rule order, ending in the response. What the head
// says follows what the body becomes (transformHead): uWSGI 2.0.21 keeps the app's
// Content-Length after chunked, gzip and template (observed), which is a wrong length or a
// Content-Length beside Transfer-Encoding; uwsgi-ts sends the right one or none (README).

import { writeFile } from 'node:fs/promises';
import { Transform as StreamTransform, type Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Transform } from '../routing/outcome.js';

export interface TransformContext {
  /** `${...}` route vars of a body (the template transformation). */
  expand(text: string): string;
  /** cachestore: the whole body, to store if the response's status is the rule's. */
  store(t: Extract<Transform, { kind: 'cachestore' }>, body: Buffer): void;
  log(line: string): void;
}

type StageFactory<K extends Transform['kind']> = (
  t: Extract<Transform, { kind: K }>,
  ctx: TransformContext,
) => StreamTransform | undefined;

/** A stage that sees the whole body at once and emits it once, at the end. */
function whole(map: (body: Buffer) => Promise<Buffer> | Buffer): StreamTransform {
  const parts: Buffer[] = [];
  return new StreamTransform({
    transform(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      cb();
    },
    flush(cb) {
      Promise.resolve()
        .then(() => map(Buffer.concat(parts)))
        .then(
          (out) => cb(null, out),
          (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
        );
    },
  });
}

/** ASCII upper case, byte by byte (C toupper in the C locale, as transformation_toupper). */
function upper(chunk: Buffer): Buffer {
  const out = Buffer.allocUnsafe(chunk.length);
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i] as number;
    out[i] = c >= 97 && c <= 122 ? c - 32 : c;
  }
  return out;
}

/** Each transformation's stage; undefined: it changes no byte (framing, flushing, length). */
const STAGES: { readonly [K in Transform['kind']]: StageFactory<K> } = {
  // framing: the head says Transfer-Encoding: chunked and Node frames every write
  chunked: () => undefined,
  // Node writes every chunk as it comes: nothing to flush, nothing to offload
  flush: () => undefined,
  offload: () => undefined,
  // lengths: the sink buffers the body and sends its Content-Length (transformHead)
  fixcl: () => undefined,
  forcecl: () => undefined,
  toupper: () =>
    new StreamTransform({
      transform(chunk: Buffer, _enc, cb) {
        cb(null, upper(chunk));
      },
    }),
  gzip: () => createGzip(),
  template: (_t, ctx) => whole((body) => Buffer.from(ctx.expand(body.toString('latin1')), 'latin1')),
  // the body still goes out; the file is written before the response ends (a request that
  // follows can read it: recorded transform-tofile)
  tofile: (t, ctx) =>
    whole(async (body) => {
      try {
        await writeFile(t.filename, body, t.mode === undefined ? {} : { mode: t.mode });
      } catch (err) {
        ctx.log(`[uwsgi-route] tofile ${t.filename}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
      return body;
    }),
  // the body passes; once whole it goes into the cache (and its gzip copy under gzip=)
  cachestore: (t, ctx) =>
    whole((body) => {
      ctx.store(t, body);
      return body;
    }),
};

/** What the transformations do to the response head. */
export interface TransformedHead {
  /** The headers to send (flat name, value list), Content-Length removed when it would be wrong. */
  readonly headers: string[];
  /** Buffer the whole body and send its Content-Length (fixcl/forcecl, or a known length changed). */
  readonly buffer: boolean;
}

const hasName = (flat: readonly string[], lower: string) => {
  for (let i = 0; i < flat.length; i += 2) if ((flat[i] as string).toLowerCase() === lower) return true;
  return false;
};

const without = (flat: readonly string[], lower: string) => {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2)
    if ((flat[i] as string).toLowerCase() !== lower) out.push(flat[i] as string, flat[i + 1] as string);
  return out;
};

/**
 * The head after the transformations: chunked frames the body (no Content-Length beside it),
 * gzip adds Content-Encoding, fixcl/forcecl buffer the body for its length, and a transformation
 * that changes the length (gzip, template) of a body whose length was announced buffers it too.
 */
export function transformHead(transforms: readonly Transform[], flat: readonly string[]): TransformedHead {
  const kinds = new Set(transforms.map((t) => t.kind));
  let headers = [...flat];
  if (kinds.has('gzip')) headers.push('Content-Encoding', 'gzip');
  const resized = kinds.has('gzip') || kinds.has('template');
  if (kinds.has('chunked')) {
    headers = without(headers, 'content-length');
    if (!hasName(headers, 'transfer-encoding')) headers.push('Transfer-Encoding', 'chunked');
    return { headers, buffer: false };
  }
  const buffer =
    kinds.has('fixcl') || kinds.has('forcecl') || (resized && hasName(headers, 'content-length'));
  if (buffer || resized) headers = without(headers, 'content-length');
  return { headers, buffer };
}

/** The stages of the transformations, in rule order (an empty list: the body passes as it is). */
export function transformStages(transforms: readonly Transform[], ctx: TransformContext): StreamTransform[] {
  const out: StreamTransform[] = [];
  for (const t of transforms) {
    const make = STAGES[t.kind] as StageFactory<typeof t.kind>;
    const stage = make(t as never, ctx);
    if (stage !== undefined) out.push(stage);
  }
  return out;
}

/** Chains the stages into `sink`; returns where the body goes in. */
export function connectStages(
  stages: readonly StreamTransform[],
  sink: Writable,
  onError: (err: Error) => void,
): Writable {
  let next: Writable = sink;
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i] as StreamTransform;
    stage.pipe(next);
    stage.on('error', onError);
    next = stage;
  }
  return next;
}
