# The loop of a Python process: load the WSGI app the JS worker names (UWSGI_TS_PYTHON, JSON),
# say K (or X with the traceback), then serve one request at a time from fd 3 until the worker
# closes it. An app exception is an X frame (the worker answers 500 and logs the traceback); the
# process lives on.
import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys

from . import chunked as _chunked
from .channel import ApiChannel, Channel, ChannelClosed
from .wsgi import Errors, FileWrapper, Input, Response, exception_text, parse_vars

REQUEST_FD = 3
API_FD = 4


def _die_with_parent():
    # harakiri SIGKILLs the JS worker: its Python processes must not outlive it (Linux only)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except Exception:
        pass


def _load_file(path, name):
    """wsgi-file / mount = /x=app.py: run the file as a module (uWSGI names it uwsgi_file_<path>)."""
    modname = 'uwsgi_file_' + ''.join(c if c.isalnum() else '_' for c in os.path.splitext(path)[0])
    loader = importlib.machinery.SourceFileLoader(modname, path)
    spec = importlib.util.spec_from_file_location(modname, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    return module


def load_app(conf):
    target = conf['target']
    callable_name = conf.get('callable') or 'application'
    if conf['kind'] == 'file':
        module = _load_file(os.path.abspath(target), target)
    else:
        if ':' in target:
            target, callable_name = target.split(':', 1)
        # uWSGI accepts a path-like module name too (module = myapp/wsgi.py)
        if target.endswith('.py'):
            target = target[:-3].replace('/', '.')
        module = importlib.import_module(target)
    app = getattr(module, callable_name, None)
    if app is None:
        raise LookupError('%s has no callable named %r' % (conf['target'], callable_name))
    if not callable(app):
        raise TypeError('%s.%s is not callable' % (conf['target'], callable_name))
    return app


def serve(app, channel, api, conf):
    version = conf['version'].encode('ascii')
    node = conf['node'].encode('utf-8')
    errors = Errors(api)
    base = {
        'wsgi.version': (1, 0),
        'wsgi.errors': errors,
        'wsgi.multithread': False,
        'wsgi.multiprocess': True,
        'wsgi.run_once': False,
        'uwsgi.version': version,
        'uwsgi.node': node,
    }
    if not conf.get('disableFileWrapper'):
        base['wsgi.file_wrapper'] = FileWrapper
    read = channel.read
    while True:
        kind, data = read()
        environ = base.copy()
        parse_vars(data, environ)
        body = Input(channel, kind == b'R')
        environ['wsgi.input'] = body
        _chunked.current = environ
        scheme = environ.get('UWSGI_SCHEME')
        environ['wsgi.url_scheme'] = scheme or ('https' if environ.get('HTTPS') in ('on', '1') else 'http')
        response = Response(channel)
        result = None
        try:
            result = app(environ, response.start_response)
            if type(result) is list and len(result) == 1:
                response.body(result[0])
            else:
                for chunk in result:
                    response.body(chunk)
                    if type(result) is not list and type(result) is not tuple:
                        response.flush()
            if hasattr(result, 'close'):
                result.close()
            result = None
            body.drain()
            response.finish()
        except ChannelClosed:
            raise
        except BaseException as err:
            text = exception_text('%s %s' % (environ.get('REQUEST_METHOD', ''), environ.get('REQUEST_URI', '')))
            try:
                if result is not None and hasattr(result, 'close'):
                    result.close()
            except Exception:
                text += exception_text('close() of the response iterable raised')
            body.drain()
            response.fail(text)
            if isinstance(err, (SystemExit, KeyboardInterrupt)):
                raise
        errors.flush()


def main():
    conf = json.loads(os.environ.pop('UWSGI_TS_PYTHON'))
    if conf.get('role') == 'spooler':
        # a spooler's Python process runs tasks, not an app (uwsgi_ts/spooler.py)
        from .spooler import serve as serve_spooler

        return serve_spooler(conf)
    _die_with_parent()
    channel = Channel(REQUEST_FD)
    api = ApiChannel(API_FD)
    import uwsgi

    uwsgi._install(api, conf)
    # uWSGI's sys.path: the pythonpath entries first, then the working directory
    for entry in reversed(conf.get('pythonpath', [])):
        sys.path.insert(0, entry)
    sys.path.insert(len(conf.get('pythonpath', [])), os.getcwd())
    sys.argv = [conf.get('programName') or 'uwsgi'] + conf.get('pyargv', [])
    try:
        for name in conf.get('imports', []):
            if name.endswith('.py'):
                _load_file(os.path.abspath(name), name)
            else:
                importlib.import_module(name)
        app = load_app(conf)
        uwsgi._postfork()
    except BaseException:
        channel.send(b'X', exception_text('unable to load app %s' % conf['target']).encode('utf-8', 'replace'))
        sys.exit(1)
    channel.send(b'K')
    if conf.get('autoreload'):
        from .autoreload import watch

        watch(conf['autoreload'], api, conf.get('autoreloadIgnore', []))
    try:
        serve(app, channel, api, conf)
    except ChannelClosed:
        pass
    except KeyboardInterrupt:
        pass
    # threads started by the app do not keep a process without its worker
    os._exit(0)
