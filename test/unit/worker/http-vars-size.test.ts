// The request log's "{N vars in B bytes}" computed without the vars gives exactly what the vars
// themselves give (varsSize of httpRequestVars), over the header shapes that change the count.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { type HttpEnvContext, httpRequestVars, varsSize } from '../../../src/worker/cgi-env.js';
import { httpVarsSize } from '../../../src/worker/http-vars-size.js';

function request(url: string, rawHeaders: string[], over: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    url,
    method: 'GET',
    httpVersion: '1.1',
    rawHeaders,
    socket: { localPort: 8080, remoteAddress: '127.0.0.1', remotePort: 51234 },
    ...over,
  } as unknown as IncomingMessage;
}

const HTTP: HttpEnvContext = { serverName: 'host.example', https: false };
const HTTPS: HttpEnvContext = { serverName: 'h', https: true };

const CASES: ReadonlyArray<readonly [string, IncomingMessage, HttpEnvContext]> = [
  ['no headers', request('/', []), HTTP],
  ['wrk', request('/', ['Host', '127.0.0.1:8080']), HTTP],
  [
    'a browser',
    request('/search?q=uwsgi&lang=en', [
      'Host',
      'example.com',
      'User-Agent',
      'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0',
      'Accept',
      'text/html,application/xhtml+xml',
      'Accept-Language',
      'en-US,en;q=0.5',
      'Accept-Encoding',
      'gzip, deflate, br',
      'Connection',
      'keep-alive',
      'Cookie',
      'a=1',
      'Cookie',
      'b=2',
    ]),
    HTTP,
  ],
  [
    'duplicates that merge: case, - and _',
    request('/x', ['X-Forwarded-For', '10.0.0.1', 'x-forwarded-for', '10.0.0.2', 'X_Forwarded_For', 'z']),
    HTTP,
  ],
  [
    'content-type and content-length, twice each',
    request(
      '/upload',
      [
        'Content-Type',
        'text/plain',
        'Content-Length',
        '5',
        'content-type',
        'application/json',
        'CONTENT-LENGTH',
        '12',
      ],
      { method: 'POST' },
    ),
    HTTP,
  ],
  [
    'non-ASCII values and a decoded path',
    request('/caf%C3%A9/%E2%82%AC?x=%FF', ['X-Name', 'Zoë 🙂', 'X-Latin', '\u00e9\u00ff']),
    HTTP,
  ],
  ['an invalid escape', request('/bad%zz%C3', ['Host', 'h']), HTTPS],
  [
    'IPv6, HTTP/1.0',
    request('/', ['Host', '[::1]'], {
      httpVersion: '1.0',
      socket: { localPort: 443, remoteAddress: '::ffff:127.0.0.1', remotePort: 1 },
    } as Partial<IncomingMessage>),
    HTTPS,
  ],
  ['empty values', request('/?', ['X-Empty', '', 'X-Empty', '']), HTTP],
  [
    'no path, no ports (a unix socket)',
    request('?a=%41', [], { socket: {} } as Partial<IncomingMessage>),
    HTTP,
  ],
  [
    'ports of every width',
    request('/%41?%42', [], {
      socket: { localPort: 7, remoteAddress: '10.1.2.3', remotePort: 65535 },
    } as Partial<IncomingMessage>),
    HTTP,
  ],
];

for (const [name, req, ctx] of CASES) {
  test(`vars size without the vars: ${name}`, () => {
    assert.deepEqual(httpVarsSize(req, ctx), varsSize(httpRequestVars(req, ctx)));
  });
}
