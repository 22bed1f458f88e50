# bench/python-signals.mjs: the cost of Python's uwsgi signal and sharedarea calls, measured from
# inside the app (one Python process). Works the same under uWSGI 2.0.21 (--plugin python3).
import time

import uwsgi


def count(num):
    uwsgi.sharedarea_inc64(0, 0)


uwsgi.register_signal(50, 'worker', count)


def application(environ, start_response):
    n = int(environ['QUERY_STRING'] or '2000')
    if environ['PATH_INFO'] == '/sharedarea':
        start = time.perf_counter()
        for _ in range(n):
            uwsgi.sharedarea_read64(0, 8)
        took = time.perf_counter() - start
    elif environ['PATH_INFO'] == '/count':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [str(uwsgi.sharedarea_read64(0, 0)).encode()]
    else:
        # n signals raised and the request ends: the handlers run in uWSGI between requests, here
        # in the process's signal thread; the client asks /count until all ran
        start = time.perf_counter()
        for _ in range(n):
            uwsgi.signal(50)
        took = time.perf_counter() - start
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('%d %.0f' % (n, n / took)).encode()]
