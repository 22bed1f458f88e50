# uwsgidecorators' spooler decorators (seed 004 "Decorators", seed manual "The uWSGI Spooler"):
# @spool, @spoolforever, @spoolraw, each also as @spool(pass_arguments=True). Only the public
# `uwsgi` API is used (uwsgi.spool, uwsgi.spooler, SPOOL_*), so this file and uwsgidecorators.py
# run the same under uWSGI 2.0.21 (test/integration/python-spooler.test.ts runs them there).
#
# Enqueue: `fn.spool(key=value, ...)` (or `fn(...)`, or `fn.spool({...})`) writes a task naming the
# function in `ud_spool_func`; keys and values become bytes (str as UTF-8, numbers as text), as
# uWSGI's Python 3 spool() wants. With pass_arguments the positional and keyword arguments are
# pickled into `args`/`kwargs`, except uWSGI's special keys (spooler, priority, at, body), which
# stay task options. Run: the spooler calls the shared handler below with the task, keys and values
# decoded to str (the body stays bytes), and the function's code decides the file's fate:
# @spool -> SPOOL_OK whatever it returns, @spoolforever -> SPOOL_RETRY, @spoolraw -> its return.
import pickle

import uwsgi

_TASK_KEY = 'ud_spool_func'
_OPTIONS = ('spooler', 'priority', 'at', 'body')
_functions = {}


def _bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return str(value).encode('utf-8')


def _text(value):
    if isinstance(value, bytes):
        try:
            return value.decode('utf-8')
        except UnicodeDecodeError:
            return value
    return value


class _SpoolFunction:
    def __init__(self, fn, kind, pass_arguments):
        self.fn = fn
        self.kind = kind
        self.pass_arguments = pass_arguments
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        _functions[fn.__name__] = self

    def spool(self, *args, **kwargs):
        task = {}
        if self.pass_arguments:
            for option in _OPTIONS:
                if option in kwargs:
                    task[option] = kwargs.pop(option)
            task['args'] = pickle.dumps(args)
            task['kwargs'] = pickle.dumps(kwargs)
        else:
            if args:
                task.update(args[0])
            task.update(kwargs)
        task[_TASK_KEY] = self.fn.__name__
        return uwsgi.spool(dict((_bytes(k), _bytes(v)) for k, v in task.items()))

    __call__ = spool

    def run(self, task):
        if self.pass_arguments:
            args = pickle.loads(task.pop('args', pickle.dumps(())))
            kwargs = pickle.loads(task.pop('kwargs', pickle.dumps({})))
            result = self.fn(*args, **kwargs)
        else:
            result = self.fn(task)
        if self.kind == 'spool':
            return uwsgi.SPOOL_OK
        if self.kind == 'spoolforever':
            return uwsgi.SPOOL_RETRY
        return result


def _run_task(raw):
    task = {}
    for key, value in raw.items():
        key = _text(key)
        # args/kwargs are pickles and the body is raw bytes: left as they are
        task[key] = value if key in ('args', 'kwargs', 'body') else _text(value)
    name = task.get(_TASK_KEY)
    function = _functions.get(name)
    if function is None:
        uwsgi.log('[uwsgidecorators] no spooler function %r in this spooler: task %s kept for a retry'
                  % (name, task.get('spooler_task_name')))
        return uwsgi.SPOOL_RETRY
    return function.run(task)


def _decorator(kind):
    def decorate(fn=None, pass_arguments=False):
        if fn is None:
            return lambda f: _SpoolFunction(f, kind, pass_arguments)
        return _SpoolFunction(fn, kind, pass_arguments)

    decorate.__name__ = kind
    return decorate


spool = _decorator('spool')
spoolforever = _decorator('spoolforever')
spoolraw = _decorator('spoolraw')

# the spooler runs every decorated function through this one handler
uwsgi.spooler = _run_task
