// The file offloads of the routing rules (reference §4.4 router_static): `static:PATH` and
// `file:`/`sendfile:`/`fastfile:` are answered by the worker's static file server (src/static/:
// mime types, Expires, gzip twins, If-Modified-Since, honour-range, static-safe), the same one
// check-static uses. Before the app the server writes the request's own response; when the
// response chain replaces an app's response under way, it writes an OffloadResponse instead.
// `no_headers=1` (the body alone, no status line) is ours: the file streams onto the connection.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { Offload } from '../routing/outcome.js';
import type { StaticServer } from '../static/static-server.js';
import { OffloadResponse } from './offload-response.js';
import type { UwsgiRequest, UwsgiResponse } from './request.js';
import { closeConnection, connectionOf } from './routing-output.js';

type FileOffload = Extract<Offload, { kind: 'file' }>;

export interface FileContext {
  readonly log: (line: string) => void;
  readonly files: StaticServer;
}

/** Where the static server writes: the response itself, or past the app's (routing hook on). */
function target(res: UwsgiResponse, log: (line: string) => void): ServerResponse {
  return res.routing === undefined ? res : (new OffloadResponse(res, log) as unknown as ServerResponse);
}

/** Streams a file onto the connection itself (a body without a head), then closes it. */
async function pumpRaw(path: string, req: UwsgiRequest, log: (line: string) => void): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
  } catch {
    return false;
  }
  const socket = connectionOf(req);
  const stream = createReadStream(path);
  try {
    for await (const chunk of stream) {
      if (socket.destroyed) return true;
      if (!socket.write(chunk as Buffer))
        await new Promise<void>((done) => {
          socket.once('drain', done);
          socket.once('close', done);
        });
    }
    closeConnection(req);
  } catch (err) {
    log(`[uwsgi-route] error sending ${path}: ${err instanceof Error ? err.message : String(err)}\n`);
    socket.destroy();
  } finally {
    stream.destroy();
  }
  return true;
}

/**
 * `static:PATH`: uWSGI's file server with PATH as its own root (2.0.21 refuses a path whose real
 * path differs unless under static-safe). False when nothing was sent (missing, refused).
 */
export function serveStaticOffload(
  req: UwsgiRequest,
  res: UwsgiResponse,
  path: string,
  ctx: FileContext,
): boolean {
  return ctx.files.serveStatic(req, target(res, ctx.log), path) === 'served';
}

/**
 * `file:`/`sendfile:`/`fastfile:` (one implementation: on Node every file streams the same way).
 * False when the file is missing (2.0.21 then sends nothing).
 */
export function serveFileOffload(
  req: UwsgiRequest,
  res: UwsgiResponse,
  o: FileOffload,
  ctx: FileContext,
): boolean | Promise<boolean> {
  if (!o.headers) return pumpRaw(o.path, req, ctx.log);
  const to = target(res, ctx.log);
  // no_cl=1: Node would count a small body sent in one end() and announce its length anyway
  if (!o.contentLength) to.removeHeader('Content-Length');
  return (
    ctx.files.serveFile(req, to, o.path, {
      status: o.status,
      contentType: o.contentType,
      mime: o.mime,
      contentLength: o.contentLength,
    }) === 'served'
  );
}
