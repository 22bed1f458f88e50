// uwsgi.chunked_read() / chunked_read_nb() (issue 14 point 2; README "Python: signals, mules,
// sharedarea"): a chunked request body on http-socket read piece by piece, pieces following the
// client's chunks as uWSGI 2.0.21 gives them ([b'hello', b' world', b''] recorded by hand for the
// two-chunk request below), a 2 MB body byte-identical; a request that is not chunked is an
// IOError. (Seed 004's chunked input example uses wsgi-manage-chunked-input and wsgi.input:
// python-seed004.test.ts.)
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { PYTHON_PATH } from '../helpers/python.js';
import { startServer } from '../helpers/server.js';

const APP = resolve(REPO, 'test/fixtures/python/chunked_read.py');

/** Sends `head` and then each of `chunks` as one HTTP chunk, `gapMs` apart; resolves with the response body. */
function chunkedPost(port: number, path: string, chunks: readonly Buffer[], gapMs: number): Promise<string> {
  return new Promise((resolvePost, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const at = out.indexOf('\r\n\r\n');
      const head = out.slice(0, at);
      let body = out.slice(at + 4);
      if (/transfer-encoding: chunked/i.test(head)) {
        let plain = '';
        while (body.length > 0) {
          const nl = body.indexOf('\r\n');
          const size = Number.parseInt(body.slice(0, nl), 16);
          if (!(size > 0)) break;
          plain += body.slice(nl + 2, nl + 2 + size);
          body = body.slice(nl + 4 + size);
        }
        body = plain;
      }
      resolvePost(body);
    });
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
    );
    let i = 0;
    const next = () => {
      const chunk = chunks[i++];
      if (chunk === undefined) {
        socket.write('0\r\n\r\n');
        return;
      }
      socket.write(
        Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
      );
      setTimeout(next, gapMs);
    };
    next();
  });
}

test('uwsgi.chunked_read() and chunked_read_nb() give a chunked body piece by piece', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer(['--master', '--http-socket', '127.0.0.1:0', '--wsgi-file', APP], {
    env: { PATH: PYTHON_PATH },
  });
  t.after(() => server.close());
  const two = JSON.parse(
    await chunkedPost(server.port, '/', [Buffer.from('hello'), Buffer.from(' world')], 200),
  ) as { pieces: number[] };
  // uWSGI 2.0.21: [b'hello', b' world', b'']
  assert.deepEqual(two.pieces, [5, 6]);

  const big = randomBytes(2 * 1024 * 1024);
  const chunks: Buffer[] = [];
  for (let p = 0; p < big.length; p += 256 * 1024) chunks.push(big.subarray(p, p + 256 * 1024));
  const sha = createHash('sha256').update(big).digest('hex');
  for (const path of ['/', '/nb']) {
    const got = JSON.parse(await chunkedPost(server.port, path, chunks, 20)) as {
      total: number;
      sha256: string;
      nones: number;
    };
    assert.equal(got.total, big.length, path);
    assert.equal(got.sha256, sha, path);
    if (path === '/nb') assert.ok(got.nones > 0, 'chunked_read_nb() answered None while the client paused');
  }

  // not chunked: IOError
  const plain = await new Promise<string>((done, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () =>
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'),
    );
    let out = '';
    socket.on('data', (d: Buffer) => {
      out += d.toString();
    });
    socket.on('close', () => done(out));
    socket.on('error', reject);
  });
  assert.match(plain, /"error": "unable to receive chunked part"/);
});
