# uwsgi.cache_get of a 100-byte value in a loop for N seconds (the query string), in the one
# Python process serving the request: answers the ops/s.
import time

import uwsgi


def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    if environ['PATH_INFO'] == '/ready':
        return [b'ready']
    uwsgi.cache_update('bench-key', b'x' * 100)
    seconds = float(environ['QUERY_STRING'] or '2')
    get = uwsgi.cache_get
    count = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(1000):
            get('bench-key')
        count += 1000
    return [str(round(count / seconds)).encode()]
