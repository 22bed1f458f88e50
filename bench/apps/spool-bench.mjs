// The app of bench/spooler.mjs: GET /enqueue?count=N enqueues N no-op tasks from this worker and
// answers the time it took in ms; the spooler runs `noop` (ud_spool_func=noop, as the prefilled files name it).
import { spoolTask } from 'uwsgi-ts';

const noop = spoolTask('noop', () => {});

export default {
  fetch(request) {
    const url = new URL(request.url);
    const count = Number(url.searchParams.get('count') ?? '1000');
    const start = performance.now();
    for (let i = 0; i < count; i++) noop({ n: i, payload: 'x'.repeat(32) });
    return new Response(String(performance.now() - start));
  },
};
