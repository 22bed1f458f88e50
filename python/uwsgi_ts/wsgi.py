# PEP 3333 for one request: the environ from the uwsgi vars block (reference §1.2: 2-byte
# little-endian lengths; every string a latin-1 "native string"), wsgi.input over the body
# frames, start_response/write with the exc_info rules, and the response sent as frames.
import sys
import traceback

from .channel import frame

_ENCODING = 'latin-1'


def parse_vars(data, environ):
    p = 0
    end = len(data)
    from_bytes = int.from_bytes
    while p < end:
        kl = data[p] | (data[p + 1] << 8)
        p += 2
        key = data[p:p + kl].decode(_ENCODING)
        p += kl
        vl = data[p] | (data[p + 1] << 8)
        p += 2
        environ[key] = data[p:p + vl].decode(_ENCODING)
        p += vl
    return environ


class Input:
    """wsgi.input: the request body as the JS worker streams it (B frames, then E)."""

    __slots__ = ('channel', 'buf', 'eof')

    def __init__(self, channel, has_body):
        self.channel = channel
        self.buf = bytearray()
        self.eof = not has_body

    def _fill(self):
        kind, data = self.channel.read()
        if kind == b'B':
            self.buf += data
        else:
            self.eof = True

    def read(self, size=-1):
        if size is None or size < 0:
            while not self.eof:
                self._fill()
            out = bytes(self.buf)
            self.buf.clear()
            return out
        while len(self.buf) < size and not self.eof:
            self._fill()
        out = bytes(self.buf[:size])
        del self.buf[:size]
        return out

    def readline(self, size=-1):
        start = 0
        while True:
            nl = self.buf.find(b'\n', start)
            if nl >= 0:
                cut = nl + 1
                break
            if size is not None and 0 <= size <= len(self.buf):
                cut = size
                break
            if self.eof:
                cut = len(self.buf)
                break
            start = len(self.buf)
            self._fill()
        if size is not None and 0 <= size < cut:
            cut = size
        out = bytes(self.buf[:cut])
        del self.buf[:cut]
        return out

    def readlines(self, hint=-1):
        lines = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def drain(self):
        """What the app left unread, read and dropped: the next frame is the next request."""
        self.buf.clear()
        while not self.eof:
            kind, _ = self.channel.read()
            if kind != b'B':
                self.eof = True


class Errors:
    """wsgi.errors: lines go to the instance log through the JS worker."""

    def __init__(self, api):
        self.api = api
        self.pending = ''

    def write(self, text):
        if isinstance(text, bytes):
            text = text.decode('utf-8', 'replace')
        self.pending += text
        if '\n' in self.pending:
            cut = self.pending.rfind('\n') + 1
            self.api.log(self.pending[:cut])
            self.pending = self.pending[cut:]
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self.pending:
            self.api.log(self.pending + '\n')
            self.pending = ''


class FileWrapper:
    """wsgi.file_wrapper: the file read in blocks (PEP 3333 'Optional Platform-Specific File Handling')."""

    def __init__(self, filelike, blksize=65536):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, 'close'):
            self.close = filelike.close

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration


_HEAD_SEP = '\r\n'


class Response:
    """start_response, write() and the frames of one response."""

    __slots__ = ('channel', 'status', 'headers', 'head_sent', 'out', 'out_size')

    def __init__(self, channel):
        self.channel = channel
        self.status = None
        self.headers = None
        self.head_sent = False
        self.out = []
        self.out_size = 0

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError('start_response() called again without exc_info (PEP 3333)')
        if type(status) is not str:
            raise TypeError('status must be a str, not %s' % type(status).__name__)
        if len(status) < 4 or not status[:3].isdigit() or status[3] != ' ':
            raise ValueError('status must be "NNN Reason": %r' % status)
        if type(headers) is not list:
            raise TypeError('headers must be a list, not %s' % type(headers).__name__)
        for item in headers:
            if type(item) is not tuple or len(item) != 2:
                raise TypeError('each header must be a (name, value) tuple: %r' % (item,))
            name, value = item
            if type(name) is not str or type(value) is not str:
                raise TypeError('header names and values must be str: %r' % (item,))
            if '\n' in value or '\r' in value or '\n' in name or ':' in name:
                raise ValueError('invalid header %r' % (item,))
        self.status = status
        self.headers = headers
        return self.write

    def _head(self):
        if self.status is None:
            raise AssertionError('the app sent a body before calling start_response()')
        parts = [self.status]
        for name, value in self.headers:
            parts.append(name + ': ' + value)
        self.head_sent = True
        return frame(b'H', _HEAD_SEP.join(parts).encode(_ENCODING))

    def write(self, data):
        """The legacy write() callable: sent at once (PEP 3333)."""
        self.body(data)
        self.flush()

    def body(self, data):
        if type(data) is not bytes:
            if isinstance(data, (bytearray, memoryview)):
                data = bytes(data)
            else:
                raise TypeError('the app must send bytes, not %s' % type(data).__name__)
        if not data:
            return
        if not self.head_sent:
            self.out.append(self._head())
        self.out.append(frame(b'D', data))
        self.out_size += len(data)
        if self.out_size >= 262144:
            self.flush()

    def flush(self):
        if self.out:
            self.channel.sendall(b''.join(self.out))
            self.out = []
            self.out_size = 0

    def finish(self):
        if not self.head_sent:
            self.out.append(self._head())
        self.out.append(b'F\x00\x00\x00\x00')
        self.flush()

    def fail(self, text):
        """The app raised: what was not sent yet is dropped, the JS worker answers 500 or cuts."""
        self.out = []
        self.out_size = 0
        self.channel.sendall(frame(b'X', text.encode('utf-8', 'replace')))


def exception_text(where):
    return '%s\n%s' % (where, traceback.format_exc())
