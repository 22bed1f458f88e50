// Request codec micro-benchmark: parse rate (requests/s, one core) of the uwsgi, FastCGI and SCGI
// codecs on a typical nginx-shaped GET (Debian's *_params plus 8 browser headers), whole in one
// chunk (the fast path) and split in two inside the vars (the buffering path). Needs `npm run build`.
// `node bench/codecs.mjs` prints a table; bench/run.mjs may import benchCodecs().

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { encodeFastCgiRequest, FastCgiConnectionParser } from '../dist/protocol/fastcgi.js';
import { encodeScgiRequest, ScgiRequestParser } from '../dist/protocol/scgi.js';
import { encodeUwsgiPacket, encodeUwsgiVars, UwsgiRequestParser } from '../dist/protocol/uwsgi.js';

/** What nginx 1.22 sends for `GET /app/items?page=2` from a browser (captured shape, made-up values). */
const PARAMS = [
  ['QUERY_STRING', 'page=2'],
  ['REQUEST_METHOD', 'GET'],
  ['CONTENT_TYPE', ''],
  ['CONTENT_LENGTH', ''],
  ['REQUEST_URI', '/app/items?page=2'],
  ['PATH_INFO', '/app/items'],
  ['DOCUMENT_ROOT', '/srv/www'],
  ['SERVER_PROTOCOL', 'HTTP/1.1'],
  ['REQUEST_SCHEME', 'https'],
  ['HTTPS', 'on'],
  ['REMOTE_ADDR', '203.0.113.7'],
  ['REMOTE_PORT', '51234'],
  ['SERVER_PORT', '443'],
  ['SERVER_NAME', 'shop.example.com'],
  ['HTTP_HOST', 'shop.example.com'],
];
const HEADERS = [
  ['HTTP_USER_AGENT', 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0'],
  ['HTTP_ACCEPT', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
  ['HTTP_ACCEPT_LANGUAGE', 'en-US,en;q=0.5'],
  ['HTTP_ACCEPT_ENCODING', 'gzip, deflate, br'],
  ['HTTP_REFERER', 'https://shop.example.com/app/items?page=1'],
  ['HTTP_COOKIE', 'sessionid=8f14e45fceea167a5a36dedd4bea2543; csrftoken=c9f0f895fb98ab9159f51fd0297e236d'],
  ['HTTP_CONNECTION', 'keep-alive'],
  ['HTTP_UPGRADE_INSECURE_REQUESTS', '1'],
];
const VARS = [...PARAMS, ...HEADERS];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Requests per second of `once()` (one parsed request per call): median of `rounds` timed runs. */
function rate(once, { rounds, roundMs }) {
  for (let i = 0; i < 20000; i++) once(); // warm-up: let the JIT settle
  const rates = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      for (let i = 0; i < 1000; i++) once();
      n += 1000;
      elapsed = performance.now() - start;
    } while (elapsed < roundMs);
    rates.push((n * 1000) / elapsed);
  }
  return median(rates);
}

/**
 * Parse rates in requests/s for each codec, `{ uwsgi: { whole, split }, fastcgi: {...}, scgi: {...},
 * requestBytes: {...} }`. uwsgi and SCGI use a fresh parser per request (nginx opens a connection per
 * request); FastCGI reuses one parser, as `fastcgi_keep_conn on` does.
 */
export function benchCodecs({ rounds = 5, roundMs = 300 } = {}) {
  let seen = 0;
  const events = {
    onHead(head) {
      seen += head.vars.size;
    },
    onBody() {},
    onBodyEnd() {
      seen++;
    },
    onError(err) {
      throw new Error(`${err.code}: ${err.message}`);
    },
  };
  const fastCgiEvents = {
    onHead(_id, head) {
      seen += head.vars.size;
    },
    onBody() {},
    onBodyEnd() {
      seen++;
    },
    onAbort() {},
    onReject() {},
    onGetValues() {},
    onUnknownType() {},
    onError: events.onError,
  };
  const requests = {
    uwsgi: encodeUwsgiPacket(0, 0, encodeUwsgiVars(VARS)),
    // nginx pads FastCGI records to 8 bytes.
    fastcgi: encodeFastCgiRequest(1, VARS, Buffer.alloc(0), true, { pad: true }),
    scgi: encodeScgiRequest(
      [['CONTENT_LENGTH', '0'], ['SCGI', '1'], ...VARS.filter(([k]) => k !== 'CONTENT_LENGTH')],
      Buffer.alloc(0),
    ),
  };
  const fastCgiParser = new FastCgiConnectionParser(fastCgiEvents);
  const parse = {
    uwsgi: (chunks) => {
      const p = new UwsgiRequestParser(events);
      for (const c of chunks) p.push(c);
    },
    fastcgi: (chunks) => {
      for (const c of chunks) fastCgiParser.push(c);
    },
    scgi: (chunks) => {
      const p = new ScgiRequestParser(events);
      for (const c of chunks) p.push(c);
    },
  };
  const out = { requestBytes: {} };
  for (const [name, bytes] of Object.entries(requests)) {
    const whole = [bytes];
    const half = bytes.length >> 1;
    const split = [bytes.subarray(0, half), bytes.subarray(half)];
    const run = parse[name];
    out[name] = {
      whole: rate(() => run(whole), { rounds, roundMs }),
      split: rate(() => run(split), { rounds, roundMs }),
    };
    out.requestBytes[name] = bytes.length;
  }
  if (seen === 0) throw new Error('nothing was parsed');
  return out;
}

/** The results as a markdown table, for RESULTS.md. */
export function codecTable(r) {
  const fmt = (n) => `${Math.round(n).toLocaleString('en-US')} req/s`;
  const lines = [
    `| request codec (nginx-shaped GET, ${VARS.length} vars, one core) | bytes | one chunk | split in two |`,
    '|---|---|---|---|',
  ];
  for (const name of ['uwsgi', 'fastcgi', 'scgi']) {
    lines.push(`| ${name} | ${r.requestBytes[name]} | ${fmt(r[name].whole)} | ${fmt(r[name].split)} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(codecTable(benchCodecs()));
}
