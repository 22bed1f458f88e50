# uWSGI's WebSocket API for Python apps (seed manual "WebSocket support"): the calls go to the JS
# worker, which runs the same WebSocket machinery as for JS apps (src/python/python-websocket-api.ts).
# As in uWSGI, a failure to receive or send raises IOError (OSError) and the handshake's failure
# OSError 'unable to complete websocket handshake'.
import sys


def _call(op, *args):
    try:
        return sys.modules['uwsgi']._call(op, *args)
    except ValueError as err:
        raise OSError(str(err)) from None


def websocket_handshake(key=None, origin=None, proto=None):
    _call('websocket_handshake', key or '', origin or '', proto or '')


def websocket_recv(request_context=None):
    return _call('websocket_recv')


def websocket_recv_nb(request_context=None):
    return _call('websocket_recv_nb')


def websocket_send(message, request_context=None):
    _call('websocket_send', message)


def websocket_send_binary(message, request_context=None):
    _call('websocket_send_binary', message)
