# fd 6, the events channel between a Python process and its JS worker (src/python/python-events.ts
# is the other half). Two things travel on it, apart from the requests on fd 3 and the quick calls
# on fd 4, so that neither waits behind the other:
# - signals: the worker sends S (payload: the signal number, one byte); a handler thread runs the
#   Python handler and answers G (done), so the worker's signal accounting sees when it ended. The
#   request the main thread runs goes on meanwhile (the two share only the GIL).
# - waits: calls that may block for long (signal_wait, mule_get_msg) go out as W (an id, then the
#   call as on fd 4) and come back as V (the id, then an answer tagged as on fd 4) whenever the
#   worker has it; fd 4 stays free for the other threads' calls in the meantime.
import queue
import struct
import threading
import traceback

from .channel import Channel, ChannelClosed, encode_args

EVENTS_FD = 6
_ID = struct.Struct('>I')


class Events:
    def __init__(self, fd, log):
        self.channel = Channel(fd)
        self.log = log
        self.send_lock = threading.Lock()
        self.handlers = {}
        self.waits = {}
        self.next_id = 1
        self.signals = queue.Queue()
        threading.Thread(target=self._read, name='uwsgi-ts events', daemon=True).start()
        threading.Thread(target=self._run_signals, name='uwsgi-ts signals', daemon=True).start()

    def _send(self, kind, payload):
        with self.send_lock:
            self.channel.send(kind, payload)

    def _read(self):
        while True:
            try:
                kind, payload = self.channel.read()
            except (ChannelClosed, OSError):
                for slot in list(self.waits.values()):
                    slot.append(None)
                    slot[0].set()
                return
            if kind == b'S':
                self.signals.put(payload[0])
            elif kind == b'V':
                (wait_id,) = _ID.unpack_from(payload)
                slot = self.waits.pop(wait_id, None)
                if slot is not None:
                    slot.append(payload[4:])
                    slot[0].set()

    def _run_signals(self):
        while True:
            num = self.signals.get()
            handler = self.handlers.get(num)
            try:
                if handler is not None:
                    handler(num)
            except Exception:
                self.log('[uwsgi-signal] the handler of signal %d raised:\n%s' % (num, traceback.format_exc()))
            self._send(b'G', bytes([num]))

    def wait(self, op, *args):
        """A blocking call: returns the tagged answer (bytes), or None when the worker went away."""
        slot = [threading.Event()]
        with self.send_lock:
            wait_id = self.next_id
            self.next_id += 1
            self.waits[wait_id] = slot
            self.channel.send(b'W', _ID.pack(wait_id) + encode_args((op,) + args))
        slot[0].wait()
        return slot[1]


_events = None
_events_lock = threading.Lock()


# Why this process has no events channel (the spooler's: nothing there reads fd 6), or None.
unavailable = None


def events(log):
    """The process's events channel, opened on first use; raises where the process has none, so
    that a call that waits (signal_wait, mule_get_msg) fails at once instead of waiting forever."""
    global _events
    if unavailable is not None:
        raise SystemError(unavailable)
    with _events_lock:
        if _events is None:
            _events = Events(EVENTS_FD, log)
        return _events
