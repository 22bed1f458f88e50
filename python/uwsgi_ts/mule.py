# A Python mule's process: the `uwsgi` module installed on fd 4, sys.path and the imports as for
# an app, then the script run as __main__ (uWSGI's `mule = script.py`). Its exit code is the
# mule's: 0 when the script returned, 1 when it raised (the traceback goes to the log).
import json
import os
import runpy
import sys

from .channel import ApiChannel
from .child import API_FD, _die_with_parent
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
        runpy.run_path(script, run_name='__main__')
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:
        api.log(exception_text('mule %d: %s raised' % (conf.get('muleId', 0), conf['target'])))
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
