# uWSGI 2.0.21's side of bench/spooler.mjs: /enqueue?count=N calls uwsgi.spool() N times and
# answers the time in ms; as a spooler-import, the spooler function returns SPOOL_OK at once.
import time
import uwsgi

def spooler(args):
    return uwsgi.SPOOL_OK

uwsgi.spooler = spooler

def application(env, start_response):
    count = int(env.get('QUERY_STRING', 'count=1000').split('=')[1])
    start = time.perf_counter()
    for i in range(count):
        uwsgi.spool({b'ud_spool_func': b'noop', b'n': str(i).encode(), b'payload': b'x' * 32})
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [str((time.perf_counter() - start) * 1000).encode()]
