# The seed manual's WebSocket echo (uWSGI's Python API), for bench/websocket-echo.mjs.
import uwsgi


def application(env, start_response):
    uwsgi.websocket_handshake()
    while True:
        uwsgi.websocket_send(uwsgi.websocket_recv())
