// The HTTP wrapper of the rpc plugin (modifier2 2, seed manual "RPC wrappers"): a request whose
// PATH_INFO is `/func/arg1/arg2` calls func(arg1, arg2) and the result is the response body.
// Observed on 2.0.21: empty path segments are skipped, nothing is URL-decoded, the status line
// uses SERVER_PROTOCOL (HTTP/1.0 when absent), the Content-Type is HTTP_ACCEPT unless that is
// absent or `*/*` (then application/binary); no function name is a 500, an unknown or failing
// function a 404.

import { encodeUwsgiPacket, UwsgiRequestParser } from '../protocol/uwsgi.js';
import type { RpcRegistry } from './registry.js';

export interface RpcHttpAnswer {
  readonly status: 200 | 404 | 500 | 501;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

const REASONS = {
  200: 'OK',
  404: 'Not Found',
  500: 'Internal Server Error',
  501: 'Not Implemented',
} as const;

/** The fixed error answers: no length, `Connection: close`, the reason as the body (observed). */
function errorAnswer(status: 404 | 500 | 501): RpcHttpAnswer {
  return {
    status,
    headers: [
      ['Connection', 'close'],
      ['Content-Type', 'text/plain'],
    ],
    body: Buffer.from(REASONS[status], 'latin1'),
  };
}

/** `/func/a//b/` -> ['func', 'a', 'b'] as bytes (PATH_INFO is a byte string). */
export function splitRpcPath(pathInfo: string): Buffer[] {
  return pathInfo
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => Buffer.from(segment, 'latin1'));
}

/**
 * Answers a modifier2 2 request from its vars. The result of an empty function is a 200 with an
 * empty body (uWSGI answers 404: it cannot tell an empty result from a failure).
 *
 * @example
 * await answerRpcHttp(registry, new Map([['PATH_INFO', '/hello/a/b']])); // { status: 200, ... }
 */
export async function answerRpcHttp(
  registry: RpcRegistry,
  vars: ReadonlyMap<string, string>,
  log: (line: string) => void,
): Promise<RpcHttpAnswer> {
  const [name, ...args] = splitRpcPath(vars.get('PATH_INFO') ?? '');
  if (name === undefined) return errorAnswer(500);
  let result: Buffer;
  try {
    result = await registry.call(name, args);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_RPC_UNKNOWN_FUNCTION') {
      log(`[uwsgi-ts] ${err instanceof Error ? err.message : String(err)} [ERR_RPC_FAILED]\n`);
    }
    return errorAnswer(404);
  }
  const accept = vars.get('HTTP_ACCEPT');
  return {
    status: 200,
    headers: [
      ['Content-Length', String(result.length)],
      ['Content-Type', accept && accept !== '*/*' ? accept : 'application/binary'],
    ],
    body: result,
  };
}

/** XML-RPC (modifier2 3) needs an XML codec uwsgi-ts does not have. */
export function xmlRpcAnswer(): RpcHttpAnswer {
  return errorAnswer(501);
}

/** The answer as raw HTTP bytes (a uwsgi socket answers a request with a raw HTTP response). */
export function encodeRpcHttpAnswer(protocol: string | undefined, answer: RpcHttpAnswer): Buffer[] {
  let head = `${protocol || 'HTTP/1.0'} ${answer.status} ${REASONS[answer.status]}\r\n`;
  for (const [name, value] of answer.headers) head += `${name}: ${value}\r\n`;
  return [Buffer.from(`${head}\r\n`, 'latin1'), answer.body];
}

/**
 * The vars block of a modifier2 2/3 packet (the uwsgi socket hands RPC packets over raw). The
 * socket's parser has already bounded its size by buffer-size. undefined when it is malformed.
 */
export function decodeRpcVars(payload: Buffer): Map<string, string> | undefined {
  let vars: Map<string, string> | undefined;
  const parser = new UwsgiRequestParser(
    {
      onHead: (head) => {
        vars = head.vars;
      },
      onBody: () => {},
      onBodyEnd: () => {},
      onError: () => {},
    },
    { bufferSize: 0xffff },
  );
  // no CONTENT_LENGTH body is fed: only the vars matter, and the parser reports them at once
  parser.push(encodeUwsgiPacket(0, 0, payload));
  return vars;
}
