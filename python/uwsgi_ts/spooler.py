# The Python process of a spooler (src/spooler/python-spooler.ts is the other half): imports what
# a uWSGI spooler has loaded (import/shared-import, the Python spooler-import entries, the apps'
# modules, so `@spool` functions and `uwsgi.spooler` are set), says K, then runs one task at a
# time from fd 3. A task frame (T) is a list: file base name, has-body ('' or '1'), body, then
# key, value pairs; the answer is C + the code (ASCII), M (no Python handler) or X + traceback.
# A failing import is logged and the process goes on: its tasks stay on disk (uWSGI does the same).
import os
import sys

from .channel import ApiChannel, Channel, ChannelClosed, decode_list
from .wsgi import exception_text

TASK_FD = 3
API_FD = 4


def _import(name, api, what):
    from .child import _load_file
    import importlib

    try:
        if name.endswith('.py'):
            _load_file(os.path.abspath(name), name)
        else:
            importlib.import_module(name)
    except BaseException:
        api.log(exception_text('spooler: unable to import %s %s' % (what, name)))


def _load_apps(conf, api):
    from .child import _load_file
    import importlib

    for app in conf.get('apps', []):
        try:
            if app['kind'] == 'file':
                _load_file(os.path.abspath(app['target']), app['target'])
            else:
                target = app['target'].split(':', 1)[0]
                if target.endswith('.py'):
                    target = target[:-3].replace('/', '.')
                importlib.import_module(target)
        except BaseException:
            api.log(exception_text('spooler: unable to import app %s' % app['target']))


def serve(conf):
    from .child import _die_with_parent

    _die_with_parent()
    # signals are delivered to workers and mules, never to the spooler: nothing answers a wait here
    from . import events

    events.unavailable = 'signal_wait() and the other waiting calls are not served in the spooler process'
    channel = Channel(TASK_FD)
    api = ApiChannel(API_FD)
    import uwsgi
    import uwsgi_spool

    uwsgi._install(api, conf)
    for entry in reversed(conf.get('pythonpath', [])):
        sys.path.insert(0, entry)
    sys.path.insert(len(conf.get('pythonpath', [])), os.getcwd())
    sys.argv = [conf.get('programName') or 'uwsgi'] + conf.get('pyargv', [])
    for name in conf.get('imports', []):
        _import(name, api, 'module')
    for name in conf.get('spoolerImports', []):
        _import(name, api, 'spooler-import')
    _load_apps(conf, api)
    uwsgi._postfork()
    # uWSGI runs its tasks in the spooler directory (or spooler-chdir)
    if conf.get('chdir'):
        os.chdir(conf['chdir'])
    channel.send(b'K')
    try:
        while True:
            kind, payload = channel.read()
            if kind != b'T':
                continue
            items = decode_list(payload)
            name, has_body, body = items[0], items[1], items[2]
            task = {}
            for i in range(3, len(items) - 1, 2):
                task[items[i]] = items[i + 1]
            try:
                code = uwsgi_spool.run_task(task, body if has_body else None, name)
            except BaseException as err:
                channel.send(b'X', exception_text('spooler task %s' % name.decode('utf-8', 'replace')).encode(
                    'utf-8', 'replace'))
                if isinstance(err, (SystemExit, KeyboardInterrupt)):
                    raise
                continue
            if code is None:
                channel.send(b'M')
            else:
                channel.send(b'C', str(int(code)).encode('ascii'))
    except ChannelClosed:
        pass
    os._exit(0)
