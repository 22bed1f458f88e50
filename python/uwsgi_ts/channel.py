# The frames between a JS worker and its Python process (src/python/python-frames.ts is the other
# half): one type byte, a 4-byte big-endian length, the payload. fd 3 carries requests (worker ->
# python: R/r request vars, B body chunk, E body end; python -> worker: H head, D body, F done,
# X failed, K app loaded); fd 4 carries the uwsgi module's calls (Q call -> A answer, L log line).
import socket
import struct
import threading

HEADER = struct.Struct('>cI')
HEADER_SIZE = HEADER.size


class ChannelClosed(Exception):
    """The JS worker went away: the process exits."""


class Channel:
    __slots__ = ('sock', 'rfile', 'sendall')

    def __init__(self, fd):
        self.sock = socket.socket(fileno=fd)
        self.rfile = self.sock.makefile('rb', buffering=262144)
        self.sendall = self.sock.sendall

    def read(self):
        head = self.rfile.read(HEADER_SIZE)
        if len(head) < HEADER_SIZE:
            raise ChannelClosed()
        kind, size = HEADER.unpack(head)
        if size == 0:
            return kind, b''
        data = self.rfile.read(size)
        if len(data) < size:
            raise ChannelClosed()
        return kind, data

    def send(self, kind, payload=b''):
        self.sendall(HEADER.pack(kind, len(payload)) + payload)


def frame(kind, payload=b''):
    return HEADER.pack(kind, len(payload)) + payload


def encode_args(args):
    """Call arguments: each as a 4-byte length and its bytes (str as UTF-8)."""
    out = []
    for a in args:
        if isinstance(a, str):
            a = a.encode('utf-8')
        elif a is None:
            a = b''
        elif isinstance(a, (int, float)) and not isinstance(a, bool):
            a = str(a).encode('ascii')
        elif not isinstance(a, (bytes, bytearray, memoryview)):
            raise TypeError('argument must be str, bytes or a number, not %s' % type(a).__name__)
        out.append(struct.pack('>I', len(a)))
        out.append(bytes(a))
    return b''.join(out)


def decode_list(data):
    items = []
    p = 0
    while p < len(data):
        (n,) = struct.unpack_from('>I', data, p)
        p += 4
        items.append(data[p:p + n])
        p += n
    return items


class ApiChannel:
    """fd 4: one call at a time (any thread), answered in order by the JS worker."""

    def __init__(self, fd):
        self.channel = Channel(fd)
        self.lock = threading.Lock()

    def call(self, op, *args):
        payload = encode_args((op,) + args)
        with self.lock:
            self.channel.send(b'Q', payload)
            kind, data = self.channel.read()
        if kind != b'A':
            raise ChannelClosed()
        return data

    def log(self, text):
        data = text.encode('utf-8', 'replace') if isinstance(text, str) else bytes(text)
        with self.lock:
            self.channel.send(b'L', data)
