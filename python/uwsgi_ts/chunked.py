# uWSGI's chunked_read(timeout) / chunked_read_nb(): the body of a chunked request (its
# transfer-encoding header says so) piece by piece, as the JS worker streams it (B frames; the
# worker already removed the chunk framing). b'' at the end; a request that is not chunked raises
# IOError (uWSGI 2.0.21 waits and gives nothing there). The timeout is not applied: the worker's
# own socket-timeout bounds a client that stops sending (README "Python: signals, mules,
# sharedarea").
import socket

# the environ of the request this process runs (set by child.serve)
current = None


def _body():
    environ = current
    if environ is None or 'chunked' not in environ.get('HTTP_TRANSFER_ENCODING', '').lower():
        raise IOError('unable to receive chunked part')
    return environ['wsgi.input']


def _take(body):
    out = bytes(body.buf)
    body.buf.clear()
    return out


def chunked_read(timeout=0):
    body = _body()
    while not body.buf and not body.eof:
        body._fill()
    return _take(body)


def chunked_read_nb():
    """The next piece if one is there now, b'' at the end, None when the client has sent nothing yet."""
    body = _body()
    if body.buf:
        return _take(body)
    if body.eof:
        return b''
    channel = body.channel
    channel.sock.setblocking(False)
    try:
        ready = channel.rfile.peek(1)
    except (BlockingIOError, socket.timeout):
        ready = b''
    finally:
        channel.sock.setblocking(True)
    if not ready:
        return None
    body._fill()
    return _take(body)
