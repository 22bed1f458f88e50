// C's ctime() as uWSGI prints it in the request log and the banner, without a per-call Date:
// the text is cached per second.

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
