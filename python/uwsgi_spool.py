# The spooler part of the `uwsgi` module (seed manual "The uWSGI Spooler", reference §8):
# uwsgi.spool() / uwsgi.send_to_spooler() write a spool file through the JS side's writer (the
# same atomic writer and `[spooler] written N bytes` line a JS app's spool() has), and the
# spooler's Python process runs a task through `uwsgi.spooler`.
#
# Type rules are uWSGI 2.0.21's under Python 3, measured (README "Python spooler tasks"): one
# dict of bytes keys and bytes values (keyword arguments only when no dict is given; a str key or
# value is a ValueError), a `body` key becomes the file's raw body, the answer is the spool
# file's path as bytes. The spooler callable gets bytes keys and values, plus the str keys
# 'spooler_task_name' (the file's base name, bytes) and 'body' (when the file has one).
import uwsgi

_NOT_BYTES = 'spooler callable dictionary must contains only bytes'


def spool(*args, **kwargs):
    if args:
        task = args[0]
        if not isinstance(task, dict):
            raise ValueError('The argument of spooler callable must be a dictionary')
    elif kwargs:
        task = kwargs
    else:
        raise ValueError('The argument of spooler callable must be a dictionary')
    items = []
    body = None
    for key, value in task.items():
        if not isinstance(key, bytes) or not isinstance(value, bytes):
            raise ValueError(_NOT_BYTES)
        if key == b'body':
            body = value
        else:
            items.append(key)
            items.append(value)
    # the first item says whether a body follows ('' none, '1' one)
    head = [b'1', body] if body is not None else [b'', b'']
    return uwsgi._call('spool', *(head + items))


send_to_spooler = spool


def run_task(vars_, body, name):
    """Runs one task in the spooler's Python process: uwsgi.spooler's code, or None without one."""
    handler = getattr(uwsgi, 'spooler', None)
    if handler is None or not callable(handler):
        return None
    task = {'spooler_task_name': name}
    task.update(vars_)
    if body is not None:
        task['body'] = body
    result = handler(task)
    # uWSGI: an int is the code; anything else (None included) keeps the task for a retry
    if isinstance(result, int):
        return result
    return uwsgi.SPOOL_RETRY
