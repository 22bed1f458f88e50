# The seeds' Python hello app (uWSGI quickstart), served by the real uWSGI in `npm run bench`.
# Content-Length is the one addition: uWSGI's --http11-socket keeps a connection alive only when
# the app sets it (uWSGI 2.0 does not frame the body itself; without it a keep-alive client hangs).
def application(env, start_response):
    start_response('200 OK', [('Content-Type', 'text/html'), ('Content-Length', '11')])
    return [b"Hello World"]
