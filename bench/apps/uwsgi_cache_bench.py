# bench/cache-ops.mjs, the real uWSGI's side: GET /?seconds=N times uwsgi.cache_get and
# uwsgi.cache_update of a 100-byte value (1,000 keys, one worker) and answers ops/s as JSON.
import json
import time
from urllib.parse import parse_qs

import uwsgi

KEYS = [('user:%d:profile' % i) for i in range(1000)]
VALUE = b'v' * 100


def rate(fn, seconds):
    for i in range(50000):
        fn(i)
    done = 0
    start = time.perf_counter()
    until = start + seconds
    now = start
    while now < until:
        for i in range(10000):
            fn(done + i)
        done += 10000
        now = time.perf_counter()
    return done / (now - start)


def application(env, start_response):
    seconds = float(parse_qs(env.get('QUERY_STRING', '')).get('seconds', ['1'])[0])
    for key in KEYS:
        uwsgi.cache_update(key, VALUE, 0, 'bench')
    result = {
        'get': rate(lambda i: uwsgi.cache_get(KEYS[i % 1000], 'bench'), seconds),
        'update': rate(lambda i: uwsgi.cache_update(KEYS[i % 1000], VALUE, 0, 'bench'), seconds),
        'inc': rate(lambda i: uwsgi.cache_inc('counter:%d' % (i % 16), 1, 0, 'bench'), seconds),
    }
    body = json.dumps(result).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]
