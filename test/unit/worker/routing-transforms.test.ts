// What the transformations do to a response head and body (src/worker/routing-transforms.ts).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { Transform } from '../../../src/routing/outcome.js';
import { connectStages, transformHead, transformStages } from '../../../src/worker/routing-transforms.js';

const t = (...kinds: Array<Exclude<Transform['kind'], 'tofile' | 'cachestore'>>): Transform[] =>
  kinds.map((kind) => ({ kind }));

const APP = ['Content-Type', 'text/plain', 'Content-Length', '5'];
const STREAMED = ['Content-Type', 'text/plain'];

describe('transformHead', () => {
  const cases: Array<[string, Transform[], string[], string[], boolean]> = [
    ['toupper keeps the length', t('toupper'), APP, APP, false],
    ['flush and offload change nothing', t('flush', 'offload'), APP, APP, false],
    [
      'chunked drops the length and frames',
      t('chunked'),
      APP,
      ['Content-Type', 'text/plain', 'Transfer-Encoding', 'chunked'],
      false,
    ],
    [
      'gzip of an announced length buffers for the new one',
      t('gzip'),
      APP,
      ['Content-Type', 'text/plain', 'Content-Encoding', 'gzip'],
      true,
    ],
    [
      'gzip of a streamed body streams',
      t('gzip'),
      STREAMED,
      [...STREAMED, 'Content-Encoding', 'gzip'],
      false,
    ],
    [
      'gzip then chunked streams, framed',
      t('gzip', 'chunked'),
      APP,
      ['Content-Type', 'text/plain', 'Content-Encoding', 'gzip', 'Transfer-Encoding', 'chunked'],
      false,
    ],
    ['template of an announced length buffers', t('template'), APP, ['Content-Type', 'text/plain'], true],
    ['fixcl buffers a streamed body for its length', t('fixcl'), STREAMED, STREAMED, true],
    ['forcecl too', t('forcecl'), STREAMED, STREAMED, true],
  ];
  for (const [name, transforms, head, headers, buffer] of cases) {
    it(name, () => assert.deepEqual(transformHead(transforms, head), { headers, buffer }));
  }
});

// the text of a route var in a body (a template string would expand it)
const PATH_VAR = ['$', '{PATH_INFO}'].join('');

/** The body through the stages of `transforms`, collected. */
function run(transforms: Transform[], chunks: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
      final(cb) {
        cb();
        resolve(Buffer.concat(out));
      },
    });
    const entry = connectStages(
      transformStages(transforms, {
        expand: (text) => text.replaceAll(PATH_VAR, '/p'),
        store: () => {},
        log: () => {},
      }),
      sink,
      reject,
    );
    for (const c of chunks) entry.write(Buffer.from(c, 'latin1'));
    entry.end();
  });
}

describe('transformStages', () => {
  it('toupper: ASCII letters only, byte by byte', async () => {
    assert.equal((await run(t('toupper'), ['abc', 'é-z'])).toString('latin1'), 'ABCé-Z');
  });

  it('template: route vars of the whole body, even split across writes', async () => {
    assert.equal((await run(t('template'), ['x=$' + '{PAT', 'H_INFO}!'])).toString(), 'x=/p!');
  });

  it('gzip: a gzip stream of the body', async () => {
    assert.equal(gunzipSync(await run(t('gzip'), ['hello ', 'world'])).toString(), 'hello world');
  });

  it('toupper then gzip, in rule order', async () => {
    assert.equal(gunzipSync(await run(t('toupper', 'gzip'), ['hi'])).toString(), 'HI');
  });

  it('no byte-changing transformation: the body passes as it is', async () => {
    assert.equal((await run(t('chunked', 'flush', 'fixcl'), ['a', 'b'])).toString(), 'ab');
  });
});
