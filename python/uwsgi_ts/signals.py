# uwsgi signals from Python (uWSGI's register_signal, signal_registered, add_timer, add_rb_timer,
# add_cron, add_file_monitor, signal_wait, signal_received), on the signal table the JS workers
# use (src/signal/). The worker routes a signal registered here to one of its Python processes
# that registered it (an idle one first); the handler runs in that process's signal thread
# (events.py), beside the request the main thread may be running. Return values as uWSGI 2.0.21
# gives them (test/fixtures/python/uwsgi-2.0.21-pysig.json).
import uwsgi as _u

from . import events as _events_module
from .events import events


def _signum(num):
    num = int(num)
    if num < 0 or num > 255:
        raise ValueError('the signal must be 0..255, got %d' % num)
    return num


def register_signal(num, target, handler):
    num = _signum(num)
    if not callable(handler):
        raise TypeError('register_signal(): the handler is not callable')
    if isinstance(target, bytes):
        target = target.decode('utf-8')
    ev = events(_u._api.log)
    ev.handlers[num] = handler
    try:
        _u._call('register_signal', num, target or '')
    except Exception:
        ev.handlers.pop(num, None)
        raise
    return None


def signal_registered(num):
    num = _signum(num)
    # this process's own handlers first: the app's import in every Python process of a worker must
    # see the same free numbers (uwsgidecorators' timer/cron without signum), as each uWSGI worker
    # sees its own table
    ev = _events_module._events
    if ev is not None and num in ev.handlers:
        return True
    return True if _u._call('signal_registered', num) else None


def add_timer(num, seconds):
    _u._call('add_timer', _signum(num), int(seconds), 0)
    return None


def add_rb_timer(num, seconds, iterations=0):
    _u._call('add_rb_timer', _signum(num), int(seconds), int(iterations))
    return None


def add_cron(num, minute, hour, day, month, weekday):
    _u._call('add_cron', _signum(num), int(minute), int(hour), int(day), int(month), int(weekday))
    return True


def add_file_monitor(num, path):
    if isinstance(path, bytes):
        path = path.decode('utf-8')
    _u._call('add_file_monitor', _signum(num), str(path))
    return None


def signal_wait(num=None):
    """Blocks until this worker receives a signal (`num`: that one); returns b'' as uWSGI 2.0.21
    does (signal_received() tells which; a handler registered for it runs as well)."""
    args = () if num is None else (_signum(num),)
    answer = events(_u._api.log).wait('signal_wait', *args)
    if answer is None:
        raise SystemExit(0)
    _u._decode(answer)
    return b''


def signal_received():
    return _u._call('signal_received')
