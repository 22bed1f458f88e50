# A Python mule's process: the `uwsgi` module installed on fd 4, sys.path as for an app, then
# either the script run as __main__ (uWSGI's `mule = script.py`; the exit code is the mule's: 0
# when the script returned, 1 when it raised, the traceback in the log), or, in a signal-only mule
# (`mule` without a script, `mules = N`), the app imported for its signal handlers and then the
# mule's messages handed to uwsgi.mule_msg_hook (uwsgidecorators' @mulefunc sets it), as uWSGI's
# mule loop does.
import json
import os
import runpy
import sys

from .channel import ApiChannel
from .child import API_FD, _die_with_parent, _load_file, load_app
from .wsgi import exception_text


def main():
    conf = json.loads(os.environ.pop('UWSGI_TS_PYTHON'))
    _die_with_parent()
    api = ApiChannel(API_FD)
    import uwsgi

    uwsgi._install(api, conf)
    script = os.path.abspath(conf['target'])
    for entry in reversed(conf.get('pythonpath', [])):
        sys.path.insert(0, entry)
    # uWSGI's sys.path: the pythonpath entries, then the working directory (and here the script's own)
    at = len(conf.get('pythonpath', []))
    sys.path[at:at] = [os.getcwd(), os.path.dirname(script)]
    sys.argv = [script] + conf.get('pyargv', [])
    code = 0
    try:
        if conf['kind'] == 'muleapp':
            _serve_app(uwsgi, conf)
        else:
            runpy.run_path(script, run_name='__main__')
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:
        api.log(exception_text('mule %d: %s raised' % (conf.get('muleId', 0), conf['target'])))
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _serve_app(uwsgi, conf):
    import importlib

    try:
        for name in conf.get('imports', []):
            if name.endswith('.py'):
                _load_file(os.path.abspath(name), name)
            else:
                importlib.import_module(name)
        load_app(dict(conf, kind=conf['appKind']))
    except Exception:
        # the workers log the same failure; the mule stays (a respawn would fail the same way)
        uwsgi.log(exception_text('mule %d: unable to load app %s' % (uwsgi.mule_id(), conf['target'])))
    while True:
        message = uwsgi.mule_get_msg()
        hook = getattr(uwsgi, 'mule_msg_hook', None)
        if hook is None:
            # uWSGI's line for a message nobody takes
            uwsgi.log('*** mule %d received a %d bytes message ***' % (uwsgi.mule_id(), len(message)))
            continue
        try:
            hook(message)
        except Exception:
            uwsgi.log(exception_text('mule %d: mule_msg_hook raised' % uwsgi.mule_id()))
