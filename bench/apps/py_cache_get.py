# bench/python-cache.mjs: uwsgi.cache_get of a 100-byte value in a loop for N seconds (the query
# string) in the one Python process serving the request; answers JSON: gets per wall-clock second
# and per CPU second of this process (the CPU figure moves less with the machine's load).
import json
import time

import uwsgi


def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'application/json')])
    if environ['PATH_INFO'] == '/ready':
        return [b'ready']
    uwsgi.cache_update('bench-key', b'x' * 100)
    seconds = float(environ['QUERY_STRING'] or '2')
    get = uwsgi.cache_get
    assert get('bench-key') == b'x' * 100
    count = 0
    wall = time.perf_counter()
    cpu = time.process_time()
    end = wall + seconds
    while time.perf_counter() < end:
        for _ in range(1000):
            get('bench-key')
        count += 1000
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    return [json.dumps({'wall': count / wall, 'cpu': count / cpu}).encode()]
