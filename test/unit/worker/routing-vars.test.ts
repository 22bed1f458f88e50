// The routing view of an HTTP request's vars gives what the CGI map gives, without building it
// for the vars rules read most (src/worker/routing-vars.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpRequestVars } from '../../../src/worker/cgi-env.js';
import type { UwsgiRequest } from '../../../src/worker/request.js';
import { RoutingVars } from '../../../src/worker/routing-vars.js';

/** A request whose CGI map counts how often it is built. */
function request(url: string, rawHeaders: string[], method = 'GET') {
  const fake = {
    url,
    method,
    httpVersion: '1.1',
    rawHeaders,
    socket: { localPort: 8080, remoteAddress: '10.1.2.3', remotePort: 5000 },
    builds: 0,
    map: undefined as Map<string, string> | undefined,
    get varsBuilt() {
      return this.map !== undefined;
    },
    get vars() {
      if (this.map === undefined) {
        this.builds++;
        this.map = httpRequestVars(this as never, { serverName: 'box', https: false });
      }
      return this.map;
    },
  };
  return fake;
}

const DIRECT = ['REQUEST_METHOD', 'REQUEST_URI', 'PATH_INFO', 'QUERY_STRING', 'REMOTE_ADDR', 'HTTP_HOST'];

describe('RoutingVars', () => {
  const cases: Array<[string, ReturnType<typeof request>]> = [
    ['plain', request('/a/b?x=1&y=2', ['Host', 'example.org'])],
    ['encoded path', request('/caps%20here/%41?q=%20', ['host', 'x.test:8080'], 'POST')],
    ['no query', request('/', ['Host', 'h'])],
    ['two Host lines', request('/', ['Host', 'a', 'HOST', 'b'])],
    ['bad escape', request('/bad%zz', ['Host', 'h'])],
  ];
  for (const [name, req] of cases) {
    it(`${name}: the request-line vars and Host without building the map`, () => {
      const view = new RoutingVars(req as unknown as UwsgiRequest);
      const got = DIRECT.map((k) => view.get(k));
      assert.equal(req.builds, 0);
      const want = DIRECT.map((k) =>
        httpRequestVars(req as never, { serverName: 'box', https: false }).get(k),
      );
      assert.deepEqual(got, want);
    });
  }

  it('a request without Host has no HTTP_HOST', () => {
    const req = request('/', []);
    const view = new RoutingVars(req as unknown as UwsgiRequest);
    assert.equal(view.get('HTTP_HOST'), undefined);
    assert.equal(view.has('HTTP_HOST'), false);
    assert.equal(view.has('PATH_INFO'), true);
    assert.equal(req.builds, 0);
  });

  it('any other var, or iterating, builds the map once and reads it from then on', () => {
    const req = request('/p', ['Host', 'h', 'User-Agent', 'curl/8']);
    const view = new RoutingVars(req as unknown as UwsgiRequest);
    assert.equal(view.get('HTTP_USER_AGENT'), 'curl/8');
    assert.equal(req.builds, 1);
    assert.equal(new Map(view).get('SERVER_NAME'), 'box');
    assert.equal(view.size, req.vars.size);
    // once built, the map answers (a rule may have changed it)
    req.vars.set('PATH_INFO', '/changed');
    assert.equal(view.get('PATH_INFO'), '/changed');
    assert.equal(req.builds, 1);
  });
});
