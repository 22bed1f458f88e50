// uWSGI's default request log line (reference §9), formatted without a per-request Date: the
// ctime() text is cached per second.
//   [pid: P|app: A|req: R/T] ADDR (USER) {N vars in B bytes} [CTIME] METHOD URI => generated X bytes
//   in T msecs (PROTO STATUS) H headers in HB bytes (1 switches on core C)

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

let cachedSecond = -1;
let cachedText = '';

/** C's ctime() without the newline, in local time: `Sat Nov 21 10:47:34 2026`. */
export function ctime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second === cachedSecond) return cachedText;
  const d = new Date(second * 1000);
  const day = d.getDate();
  cachedText = `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day < 10 ? ` ${day}` : day} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${d.getFullYear()}`;
  cachedSecond = second;
  return cachedText;
}

export interface LoggedRequest {
  readonly pid: number;
  /** -1 when no app served it. */
  readonly appId: number;
  readonly appRequests: number;
  readonly workerRequests: number;
  readonly remoteAddr: string;
  readonly remoteUser: string;
  readonly varCount: number;
  readonly varBytes: number;
  readonly startMs: number;
  readonly method: string;
  readonly uri: string;
  readonly bodyBytes: number;
  /** Response time in microseconds. */
  readonly elapsedMicros: number;
  readonly micros: boolean;
  readonly protocol: string;
  readonly status: number;
  readonly headerCount: number;
  readonly headerBytes: number;
  readonly core: number;
}

export function formatRequestLine(r: LoggedRequest): string {
  const time = r.micros ? `${r.elapsedMicros} micros` : `${Math.floor(r.elapsedMicros / 1000)} msecs`;
  const reqs = r.appRequests === 0 ? -1 : r.appRequests;
  return `[pid: ${r.pid}|app: ${r.appId}|req: ${reqs}/${r.workerRequests}] ${r.remoteAddr} (${r.remoteUser}) {${r.varCount} vars in ${r.varBytes} bytes} [${ctime(r.startMs)}] ${r.method} ${r.uri} => generated ${r.bodyBytes} bytes in ${time} (${r.protocol} ${r.status}) ${r.headerCount} headers in ${r.headerBytes} bytes (1 switches on core ${r.core})\n`;
}
