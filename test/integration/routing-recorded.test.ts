// The differential suite of issue 5: every routing config of test/fixtures/routing/configs runs
// under the real uwsgi-ts CLI with the echo app (echo-app.mjs, the twin of the echo_app.py uWSGI
// ran), gets the same requests uWSGI 2.0.21 got (scripts/record-uwsgi-routing.mjs), and must
// answer the recorded status line, headers (in order; Date/Server aside) and body, and print the
// recorded log lines. Where uwsgi-ts differs on purpose the comparison says so below, each
// difference with its reason; the configs uWSGI refused must be refused too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningBackend, startHttpBackend, startUwsgiBackend } from '../fixtures/routing/backends.mjs';
import {
  ECHO_APP,
  exchange,
  expandEnv,
  httpRequestBytes,
  type ParsedResponse,
  parseResponse,
  type Recorded,
  type RecordedResponse,
  ROUTING_CONFIGS,
  ROUTING_FIXTURES,
  ROUTING_RECORDED,
  routingEnv,
  startRouted,
  uwsgiRequestBytes,
} from '../fixtures/routing/routing-kit.js';
import { CLI } from '../helpers/cli.js';

/*
 * Deliberate differences, applied to every comparison (each one a normalization below):
 * - FRAMING: Connection and Keep-Alive are Node's connection management (uWSGI's http-socket sends
 *   neither); ignored on both sides.
 * - CLOSE_DELIMITED: a body uWSGI sends with neither Content-Length nor Transfer-Encoding (ended by
 *   closing the connection) Node sends chunked, so the connection can be kept alive; compared
 *   decoded.
 * - STALE_LENGTH: 2.0.21 keeps the app's Content-Length after chunked, gzip and template (a wrong
 *   length, or one beside Transfer-Encoding, which RFC 9112 forbids and nginx refuses); uwsgi-ts
 *   sends the length of what it sends, or none with chunked. A recorded Content-Length that does
 *   not match the recorded body is not compared; ours must match ours.
 * - NO_BODY: Node sends no body with 204 and 304 (RFC 9110 §15.3.5, §15.4.5); 2.0.21's `return:204`
 *   sends the reason phrase as one.
 * - SCHEME_VAR: uwsgi-ts's http-socket sets UWSGI_SCHEME for every request (src/worker/cgi-env.ts),
 *   2.0.21's does not: echo-app.mjs leaves out a UWSGI_SCHEME that only repeats the socket's own
 *   scheme (so a rule's `setscheme:` still shows).
 */

const FRAMING = new Set(['connection', 'keep-alive']);
/** Configs whose body the template transformation rewrites (STALE_LENGTH). */
const TEMPLATED = new Set(['transform-template.ini']);
/** NO_BODY: statuses that never carry a body. */
const NO_BODY = new Set([204, 304]);

const lower = (h: [string, string][]) => h.map(([k]) => k.toLowerCase());
const header = (h: [string, string][], name: string) => h.find(([k]) => k.toLowerCase() === name)?.[1];

interface Comparable {
  readonly statusLine: string | undefined;
  readonly headers: [string, string][];
  readonly body: string;
}

function bodyOf(r: ParsedResponse): string {
  return r.decodedBody ?? r.body ?? (r.bodyBase64 !== undefined ? `base64:${r.bodyBase64}` : '');
}

/** Bytes of the body as it went over the wire (before any decoding). */
function wireLength(r: ParsedResponse): number {
  if (r.bodyBase64 !== undefined) return Buffer.from(r.bodyBase64, 'base64').length;
  return Buffer.byteLength(r.body ?? '', 'utf8');
}

/**
 * STALE_LENGTH: the recorded Content-Length is the app's, left beside chunked framing, a gzip
 * encoding, or a template-expanded body.
 */
function staleLength(want: RecordedResponse, config: string): boolean {
  const h = want.headers ?? [];
  const cl = header(h, 'content-length');
  if (cl === undefined || Number(cl) === wireLength(want)) return false;
  const te = header(h, 'transfer-encoding') !== undefined;
  const ce = header(h, 'content-encoding') !== undefined;
  return te || ce || TEMPLATED.has(config);
}

const volatileValues = (headers: [string, string][], volatile: ReadonlySet<string>): [string, string][] =>
  headers.map(([k, v]) => [k, volatile.has(k.toLowerCase()) ? '<volatile>' : v]);

/** The recorded response with the deliberate differences applied. */
function wanted(want: RecordedResponse, volatile: ReadonlySet<string>, config: string): Comparable {
  const stale = staleLength(want, config);
  const headers = (want.headers ?? []).filter(
    ([k]) => !FRAMING.has(k.toLowerCase()) && !(stale && k.toLowerCase() === 'content-length'),
  );
  // NO_BODY
  const body = want.status !== undefined && NO_BODY.has(want.status) ? '' : bodyOf(want);
  return { statusLine: want.statusLine, headers: volatileValues(headers, volatile), body };
}

/** Our response with the deliberate differences applied, as the recorded one is. */
function ours(
  got: ParsedResponse,
  want: RecordedResponse,
  volatile: ReadonlySet<string>,
  config: string,
): Comparable {
  const wantHeaders = want.headers ?? [];
  let headers = (got.headers ?? []).filter(([k]) => !FRAMING.has(k.toLowerCase()));
  const body = bodyOf(got);
  // CLOSE_DELIMITED
  const wantFramed = lower(wantHeaders).some((k) => k === 'content-length' || k === 'transfer-encoding');
  if (!wantFramed) headers = headers.filter(([k]) => k.toLowerCase() !== 'transfer-encoding');
  // STALE_LENGTH: where uWSGI's length is wrong, ours is the length we send, or absent
  if (staleLength(want, config)) {
    const cl = header(headers, 'content-length');
    if (cl !== undefined) assert.equal(Number(cl), wireLength(got), 'our Content-Length is what we send');
    headers = headers.filter(([k]) => k.toLowerCase() !== 'content-length');
  }
  return { statusLine: got.statusLine, headers: volatileValues(headers, volatile), body };
}

function rawOf(r: ParsedResponse): string {
  return r.raw ?? (r.bodyBase64 !== undefined ? `base64:${r.bodyBase64}` : '');
}

function compare(
  got: ParsedResponse,
  want: RecordedResponse,
  volatile: ReadonlySet<string>,
  config: string,
  what: string,
): void {
  if (want.empty) {
    assert.deepEqual(got, { empty: true }, `${what}: the connection closes without a byte`);
    return;
  }
  if (want.incomplete) {
    assert.equal(got.incomplete, true, `${what}: raw bytes, no HTTP head (got ${JSON.stringify(got)})`);
    assert.equal(rawOf(got), rawOf(want), what);
    return;
  }
  const w = wanted(want, volatile, config);
  const o = ours(got, want, volatile, config);
  assert.equal(o.statusLine, w.statusLine, `${what}: status line (got ${JSON.stringify(got)})`);
  assert.deepEqual(o.headers, w.headers, `${what}: headers`);
  assert.equal(o.body, w.body, `${what}: body`);
}

// ROUTING_ONLY=name,name narrows a run while working on a config (the full run must pass)
const only = process.env['ROUTING_ONLY']?.split(',');
const recordings = readdirSync(ROUTING_RECORDED)
  .filter((f) => f.endsWith('.json') && (only === undefined || only.some((o) => f.includes(o))))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(ROUTING_RECORDED, f), 'utf8')) as Recorded);

describe('routing configs under uwsgi-ts against uWSGI 2.0.21 recordings', { timeout: 300_000 }, () => {
  let http: RunningBackend;
  let uwsgi: RunningBackend;
  let env: Record<string, string>;
  let compared = 0;
  before(async () => {
    http = await startHttpBackend();
    uwsgi = await startUwsgiBackend();
    env = routingEnv(http.address, uwsgi.address);
  });
  after(async () => {
    await http?.close();
    await uwsgi?.close();
  });

  for (const rec of recordings) {
    if (rec.startup) {
      it(`${rec.config}: refused at start-up with a coded error naming the rule`, () => {
        expectRefused(rec.config, env, /\[ERR_ROUTE_[A-Z_]+\]/);
        compared++;
      });
      continue;
    }
    const skip = rec.differs !== undefined ? `differs on purpose: ${rec.differs}` : false;
    it(rec.config, { skip, timeout: 30_000 }, async () => {
      const server = await startRouted(rec.config, env);
      try {
        const volatile = new Set(rec.volatile.map((v) => v.toLowerCase()));
        for (const [i, want] of (rec.responses ?? []).entries()) {
          const request = expandEnv(want.request, env);
          const bytes = request.via === 'uwsgi' ? uwsgiRequestBytes(request) : httpRequestBytes(request);
          // a reply uWSGI never finished (httpconnect tunnels): waited for briefly
          const reply = await exchange(
            request.via === 'uwsgi' ? server.uwsgiPort : server.httpPort,
            bytes,
            want.timedOut ? 1500 : 5000,
          );
          assert.equal(reply.timedOut, want.timedOut === true, `request ${i} timed out`);
          compare(
            parseResponse(reply.bytes),
            want,
            volatile,
            rec.config,
            `${rec.config} request ${i} ${JSON.stringify(want.request)}`,
          );
          compared++;
        }
        if (rec.log) {
          const wantedLines = rec.log.filter((l) => /^(ROUTELOG|REQLOG|FINAL|\[uwsgi-route\])/.test(l));
          // the final chain runs as the response closes: wait for its last line
          if (wantedLines.length > 0)
            await server.waitFor(new RegExp(escapeRegExp(wantedLines.at(-1) as string)), 5000);
          const lines = server.log().split('\n');
          const seen = lines.filter((l) => wantedLines.includes(l));
          assert.deepEqual(seen, wantedLines, `${rec.config} log lines`);
        }
      } finally {
        await server.close();
      }
    });
  }

  it('compared at least 60 configs and 150 responses', () => {
    const ran = recordings.filter((r) => r.differs === undefined && r.startup === undefined);
    if (only !== undefined) return;
    assert.ok(ran.length >= 60, `${ran.length} configs`);
    assert.ok(compared >= 150, `${compared} comparisons`);
  });
});

/** The instance refuses the config before any worker starts, with `code` and the rule's origin. */
function expectRefused(config: string, env: Record<string, string>, code: RegExp): void {
  const run = spawnSync(
    process.execPath,
    [CLI, '--http-socket', '127.0.0.1:0', '--app', ECHO_APP, '--ini', join(ROUTING_CONFIGS, config)],
    {
      cwd: ROUTING_FIXTURES,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      encoding: 'utf8',
      timeout: 15_000,
    },
  );
  assert.notEqual(run.status, 0, 'the instance stops');
  assert.match(run.stderr, code, run.stderr);
  // the rule as written (`route-if = ...`) and where (`config.ini:N`)
  assert.match(run.stderr, /(route|error-route|response-route|final-route)[a-z-]* = /, run.stderr);
  assert.match(run.stderr, new RegExp(`${escapeRegExp(config)}:\\d+`), run.stderr);
  assert.doesNotMatch(run.stderr, /JS app 0|bound to/, 'before a socket is bound or a worker starts');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
