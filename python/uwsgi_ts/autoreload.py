# py-autoreload: a thread that checks the files of every loaded module each N seconds and, when
# one changed, asks for a graceful reload of the instance (uWSGI: the whole instance reloads,
# with the "[uwsgi-python-reloader] module/file ... has been modified" line). Only the first
# Python process of worker 1 runs it (the JS worker passes `autoreload` to that one alone).
import os
import sys
import threading
import time


def _files():
    out = {}
    for module in list(sys.modules.values()):
        path = getattr(module, '__file__', None)
        if not path:
            continue
        if path.endswith('.pyc'):
            path = path[:-1]
        try:
            out[path] = os.stat(path).st_mtime
        except OSError:
            pass
    return out


def watch(seconds, api, ignore=()):
    def loop():
        known = _files()
        while True:
            time.sleep(seconds)
            now = _files()
            for path, mtime in now.items():
                if path in known and known[path] != mtime and os.path.basename(path) not in ignore:
                    api.log('[uwsgi-python-reloader] module/file %s has been modified\n' % path)
                    api.call('reload')
                    return
            known.update(now)

    threading.Thread(target=loop, name='uwsgi-ts py-autoreload', daemon=True).start()
