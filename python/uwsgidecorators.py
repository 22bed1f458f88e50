# uWSGI's decorators for apps served by uwsgi-ts (the subset README "Python (WSGI)" lists): the
# rest raise uwsgi.NotSupported when used, naming what is missing.
import threading
from functools import wraps

import uwsgi


def postfork(fn):
    """Runs fn in every Python process once the app is loaded (uWSGI: after each fork)."""
    uwsgi._postforks.append(fn)
    return fn


class thread:
    """Calling the function starts it in a daemon thread (Python threads always run here)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args, **kwargs):
        t = threading.Thread(target=self.fn, args=args, kwargs=kwargs, daemon=True)
        t.start()
        return self.fn


def lock(fn):
    """Runs fn under uWSGI lock 0, shared by every process of the instance."""

    @wraps(fn)
    def locked(*args, **kwargs):
        uwsgi.lock()
        try:
            return fn(*args, **kwargs)
        finally:
            uwsgi.unlock()

    return locked


class harakiri:
    """Sets a per-request harakiri of `seconds` while fn runs."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __call__(self, fn):
        @wraps(fn)
        def bounded(*args, **kwargs):
            uwsgi.set_user_harakiri(self.seconds)
            try:
                return fn(*args, **kwargs)
            finally:
                uwsgi.set_user_harakiri(0)

        return bounded


class rpc:
    """Registers fn as RPC function `name` of the instance."""

    def __init__(self, name):
        self.name = name

    def __call__(self, fn):
        uwsgi.register_rpc(self.name, fn)
        return fn


def _not_served(name):
    class refused:
        def __init__(self, *args, **kwargs):
            raise uwsgi.NotSupported('uwsgidecorators.%s is not served by uwsgi-ts yet' % name)

    refused.__name__ = name
    return refused


for _name in ('spool', 'spoolforever',
              'spoolraw', 'mule_msg_dispatcher', 'erlang'):
    globals()[_name] = _not_served(_name)
del _name

# the spooler decorators are served (python/uwsgi_spool_decorators.py): they replace the refusals above
from uwsgi_spool_decorators import spool, spoolforever, spoolraw  # noqa: E402,F401
# signals (README "Python: signals, mules, sharedarea"): their own file
from uwsgi_ts.signal_decorators import cron, filemon, free_signal as get_free_signal, rbtimer, signal, timer  # noqa: E402,F401
from uwsgi_ts.mule_decorators import mule_msg_dispatcher, mulefunc  # noqa: E402,F401
