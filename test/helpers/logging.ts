// Helpers of the logging tests: the fixture app, servers whose log goes to a file, raw requests,
// and waiting for log lines.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { REPO } from './cli.js';
import { READY_LINE, type RunningServer, startServer } from './server.js';

export const LOGGING_FIXTURES = join(REPO, 'test', 'fixtures', 'logging');
export const LOGGING_APP = join(LOGGING_FIXTURES, 'app.mjs');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The fixture app on 127.0.0.1:0 with a master and `processes` workers, stopped after the test. */
export async function serveApp(
  t: TestContext,
  args: readonly string[],
  env: Record<string, string> = {},
  processes = 1,
): Promise<RunningServer> {
  const server = await startServer(
    [
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      LOGGING_APP,
      '--master',
      '--processes',
      String(processes),
      ...args,
    ],
    { env },
  );
  t.after(() => server.close());
  return server;
}

/** A server whose own log goes to `file`: ready once the file says so; resolves with its port. */
export async function serveToFile(
  t: TestContext,
  file: string,
  args: readonly string[],
  processes = 1,
): Promise<{ server: RunningServer; port: number }> {
  const server = await startServer(
    [
      '--http-socket',
      '127.0.0.1:0',
      '--app',
      LOGGING_APP,
      '--master',
      '--processes',
      String(processes),
      '--logto',
      file,
      ...args,
    ],
    { noWait: true },
  );
  t.after(() => server.close());
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = readText(file);
    const port = text.match(/bound to TCP address \S*:(\d+) fd/)?.[1];
    if (READY_LINE.test(text) && port) return { server, port: Number(port) };
    if (Date.now() > deadline || server.proc.exitCode !== null)
      throw new Error(`not ready:\n${text}${server.log()}`);
    await sleep(50);
  }
}

/** A file's text, '' while it does not exist. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Resolves with the first match of `re` in `read()` (polled), rejects after `timeoutMs`. */
export async function waitForText(
  read: () => string,
  re: RegExp,
  timeoutMs = 10_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = read().match(re);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in:\n${read()}`);
    await sleep(50);
  }
}

export interface RawRequest {
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function requestBytes(request: RawRequest): string {
  const headers = { Host: '127.0.0.1', ...request.headers, Connection: 'close' };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `GET ${request.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** One request on its own connection (Connection: close); resolves with the raw answer. */
export function exchange(port: number, request: RawRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    // written without half-closing: the server closes the connection after its answer
    const socket = net.connect(port, '127.0.0.1', () => socket.write(requestBytes(request)));
    socket.setEncoding('latin1');
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5 s')));
    socket.on('data', (d: string) => {
      answer += d;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}
