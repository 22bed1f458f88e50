// `uwsgi-ts top ADDR`: a live terminal view of a stats server, laid out as uwsgitop's: a summary
// line, then one row per worker. `--once` prints one frame and exits (scripts and tests).

import net from 'node:net';
import { parseAddress } from '../net/address.js';

type Doc = {
  version?: string;
  listen_queue?: number;
  workers?: Array<Record<string, number | string | unknown[]>>;
};

function fetchDoc(address: string): Promise<Doc> {
  const a = parseAddress(address, 'uwsgi-ts top');
  return new Promise((resolve, reject) => {
    const socket =
      a.kind === 'tcp'
        ? net.connect(a.port, a.host === '0.0.0.0' ? '127.0.0.1' : a.host)
        : net.connect(a.kind === 'abstract' ? `\0${a.name}` : a.kind === 'unix' ? a.path : '');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('end', () => {
      try {
        resolve(JSON.parse(text.slice(text.indexOf('{'))) as Doc);
      } catch (err) {
        reject(err);
      }
    });
    socket.on('error', reject);
  });
}

const n = (v: unknown) => (typeof v === 'number' ? v : 0);
const mb = (bytes: number) => `${Math.round(bytes / 1048576)}M`;

function frame(doc: Doc, previous: Map<number, number>, seconds: number): string {
  const workers = doc.workers ?? [];
  const total = workers.reduce((sum, w) => sum + n(w['requests']), 0);
  const tx = workers.reduce((sum, w) => sum + n(w['tx']), 0);
  let rpsTotal = 0;
  const rows = workers.map((w) => {
    const id = n(w['id']);
    const requests = n(w['requests']);
    const rps = previous.has(id) ? Math.max(0, (requests - (previous.get(id) ?? 0)) / seconds) : 0;
    rpsTotal += rps;
    previous.set(id, requests);
    const share = total > 0 ? ((requests / total) * 100).toFixed(1) : '0.0';
    return [
      id,
      share,
      n(w['pid']),
      requests,
      Math.round(rps),
      n(w['exceptions']),
      n(w['signals']),
      String(w['status'] ?? ''),
      `${Math.round(n(w['avg_rt']) / 1000)}ms`,
      mb(n(w['rss'])),
      mb(n(w['vsz'])),
      `${Math.round(n(w['tx']) / 1024)}K`,
      n(w['respawn_count']),
      n(w['harakiri_count']),
      `${Math.round(n(w['running_time']) / 1000)}`,
    ].map(String);
  });
  const head = [
    'WID',
    '%',
    'PID',
    'REQ',
    'RPS',
    'EXC',
    'SIG',
    'STATUS',
    'AVG',
    'RSS',
    'VSZ',
    'TX',
    'ReSpwn',
    'HC',
    'RunT',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  const summary = `uwsgi-ts ${doc.version ?? ''} - ${new Date().toString().slice(0, 24)} - req: ${total} - RPS: ${Math.round(rpsTotal)} - lq: ${doc.listen_queue ?? 0} - tx: ${Math.round(tx / 1024)}K`;
  return [summary, '', line(head), ...rows.map(line)].join('\n');
}

export async function runTop(args: readonly string[]): Promise<number> {
  const address = args.find((a) => !a.startsWith('--'));
  if (!address) {
    process.stderr.write(
      'usage: uwsgi-ts top ADDR [--once]   (ADDR: the stats server, host:port or a unix socket)\n',
    );
    return 1;
  }
  const once = args.includes('--once');
  const previous = new Map<number, number>();
  for (;;) {
    let doc: Doc;
    try {
      doc = await fetchDoc(address);
    } catch (err) {
      process.stderr.write(`uwsgi-ts top: cannot read stats from ${address}: ${(err as Error).message}\n`);
      return 1;
    }
    const text = frame(doc, previous, 1);
    if (once) {
      process.stdout.write(`${text}\n`);
      return 0;
    }
    process.stdout.write(`\x1b[2J\x1b[H${text}\n`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
