// C's strftime() in the "C" locale, local time, as glibc prints it: uWSGI runs `log-date`,
// `%(ltime)`/`%(ftime)` and the format encoder's `${strftime:...}` through it. Compiled once per
// format; every conversion has a one-second resolution, so the text is cached per second.

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n));
const space2 = (n: number) => (n < 10 ? ` ${n}` : String(n));
const short = (name: string | undefined) => (name ?? '').slice(0, 3);

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1);
  return Math.round(
    (new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - start.getTime()) / 86_400_000,
  );
}

/** ISO 8601 week-based year and week number (glibc's %G and %V). */
function isoWeek(d: Date): { year: number; week: number } {
  const day = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  const dow = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - dow);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  return { year: day.getUTCFullYear(), week: Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7) };
}

/** `+0530` for the local offset at that instant. */
export function utcOffset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

let zoneFormat: Intl.DateTimeFormat | undefined;
function zoneName(d: Date): string {
  zoneFormat ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
  return zoneFormat.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
}

type Conversion = (d: Date) => string;

/** One row per conversion character (glibc, C locale). */
const CONVERSIONS: Readonly<Record<string, Conversion>> = {
  a: (d) => short(DAYS[d.getDay()]),
  A: (d) => DAYS[d.getDay()] ?? '',
  b: (d) => short(MONTHS[d.getMonth()]),
  h: (d) => short(MONTHS[d.getMonth()]),
  B: (d) => MONTHS[d.getMonth()] ?? '',
  c: (d) =>
    `${short(DAYS[d.getDay()])} ${short(MONTHS[d.getMonth()])} ${space2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${d.getFullYear()}`,
  C: (d) => pad2(Math.floor(d.getFullYear() / 100)),
  d: (d) => pad2(d.getDate()),
  D: (d) => `${pad2(d.getMonth() + 1)}/${pad2(d.getDate())}/${pad2(d.getFullYear() % 100)}`,
  e: (d) => space2(d.getDate()),
  F: (d) => `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`,
  G: (d) => String(isoWeek(d).year),
  g: (d) => pad2(isoWeek(d).year % 100),
  H: (d) => pad2(d.getHours()),
  I: (d) => pad2(d.getHours() % 12 || 12),
  j: (d) => pad3(dayOfYear(d) + 1),
  k: (d) => space2(d.getHours()),
  l: (d) => space2(d.getHours() % 12 || 12),
  m: (d) => pad2(d.getMonth() + 1),
  M: (d) => pad2(d.getMinutes()),
  n: () => '\n',
  p: (d) => (d.getHours() < 12 ? 'AM' : 'PM'),
  P: (d) => (d.getHours() < 12 ? 'am' : 'pm'),
  r: (d) =>
    `${pad2(d.getHours() % 12 || 12)}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${d.getHours() < 12 ? 'AM' : 'PM'}`,
  R: (d) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}`,
  s: (d) => String(Math.floor(d.getTime() / 1000)),
  S: (d) => pad2(d.getSeconds()),
  t: () => '\t',
  T: (d) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`,
  u: (d) => String(d.getDay() || 7),
  U: (d) => pad2(Math.floor((dayOfYear(d) + 7 - d.getDay()) / 7)),
  V: (d) => pad2(isoWeek(d).week),
  w: (d) => String(d.getDay()),
  W: (d) => pad2(Math.floor((dayOfYear(d) + 7 - ((d.getDay() + 6) % 7)) / 7)),
  x: (d) => `${pad2(d.getMonth() + 1)}/${pad2(d.getDate())}/${pad2(d.getFullYear() % 100)}`,
  X: (d) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`,
  y: (d) => pad2(d.getFullYear() % 100),
  Y: (d) => String(d.getFullYear()),
  z: utcOffset,
  Z: zoneName,
  '%': () => '%',
};

/**
 * Compiles a strftime format into a function of an epoch time in ms. Unknown conversions are
 * printed as written, as glibc does.
 *
 * @example compileStrftime('%d/%b/%Y:%H:%M:%S %z')(Date.now()) // '21/Nov/2026:10:49:43 +0000'
 */
export function compileStrftime(format: string): (epochMs: number) => string {
  const parts: Array<string | Conversion> = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i] ?? '';
    const next = format[i + 1];
    const conversion = c === '%' && next !== undefined ? CONVERSIONS[next] : undefined;
    if (!conversion) {
      literal += c;
      continue;
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(conversion);
    i++;
  }
  if (literal !== '') parts.push(literal);
  let cachedSecond = Number.NaN;
  let cachedText = '';
  return (epochMs: number) => {
    const second = Math.floor(epochMs / 1000);
    if (second === cachedSecond) return cachedText;
    const d = new Date(second * 1000);
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(d);
    cachedSecond = second;
    cachedText = out;
    return out;
  };
}
