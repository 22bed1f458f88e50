# uWSGI's `uwsgi` module for apps served by uwsgi-ts, importable with nothing installed: the
# calls go to the JS worker over fd 4 (uwsgi_ts/channel.py), which serves them from the same
# shared caches, locks and counters its JS apps use. What uwsgi-ts does not serve raises
# uwsgi.NotSupported naming it (README "Python (WSGI)").
import os

from uwsgi_ts.channel import decode_list


class NotSupported(AttributeError):
    """A uWSGI API function uwsgi-ts does not serve (an AttributeError, so hasattr() probes stay quiet-safe)."""


_api = None
_conf = {}
_postforks = []
SPOOL_OK = -2
SPOOL_RETRY = -1
SPOOL_IGNORE = 0

version = b'2.0.21'
version_info = (2, 0, 21, 0, '')
hostname = b''
numproc = 1
opt = {}
magic_table = {}
unbit = False
buffer_size = 4096
started_on = 0
cores = 1
has_threads = 1


def _install(api, conf):
    global _api, _conf, hostname, numproc, opt, buffer_size, started_on, cores
    _api = api
    _conf = conf
    hostname = conf['node'].encode('utf-8')
    numproc = conf.get('numproc', 1)
    buffer_size = conf.get('bufferSize', 4096)
    started_on = conf.get('startedOn', 0)
    cores = conf.get('cores', 1)
    built = {}
    for key, value in conf.get('opt', []):
        # uWSGI: a flag is True, a value bytes; a repeated option becomes a list
        item = True if value is True else value.encode('utf-8')
        if key in built:
            prev = built[key]
            built[key] = prev + [item] if isinstance(prev, list) else [prev, item]
        else:
            built[key] = item
    opt = built
    # cache_get reads the shared region in this process when it can (python/uwsgi_cache_map.py)
    import uwsgi_cache_map

    uwsgi_cache_map.setup(conf.get('cacheMap'))


def _postfork():
    for fn in _postforks:
        fn()


def _decode(data):
    tag = data[:1]
    rest = data[1:]
    if tag == b'B':
        return rest
    if tag == b'N':
        return None
    if tag == b'T':
        return True
    if tag == b'F':
        return False
    if tag == b'I':
        return int(rest)
    if tag == b'L':
        return decode_list(rest)
    if tag == b'E':
        raise ValueError(rest.decode('utf-8', 'replace'))
    raise RuntimeError('unexpected answer from the uwsgi-ts worker: %r' % data[:20])


def _call(op, *args):
    if _api is None:
        raise RuntimeError('the uwsgi module works only inside a uwsgi-ts Python process')
    return _decode(_api.call(op, *args))


def _cache(cache):
    return '' if cache is None else cache


# --- who am I ---
def worker_id():
    return _conf.get('workerId', 0)


def masterpid():
    return _conf.get('masterPid', 0)


def total_requests():
    return _call('total_requests')


def request_id():
    return _call('requests')


def log(message):
    if isinstance(message, bytes):
        message = message.decode('utf-8', 'replace')
    _api.log(str(message) + '\n')
    return True


def set_user_harakiri(seconds):
    _call('set_user_harakiri', int(seconds))


def reload():
    return _call('reload')


def lock(num=0):
    _call('lock', int(num))


def unlock(num=0):
    _call('unlock', int(num))


def is_locked(num=0):
    raise NotSupported('uwsgi.is_locked is not served by uwsgi-ts yet')


def signal(num, remote=None):
    if remote is not None:
        raise NotSupported('uwsgi.signal to a remote node is not served by uwsgi-ts yet')
    _call('signal', int(num))


def rpc(node, name, *args):
    return _call('rpc', node or '', name, *args)


_rpc_functions = {}
_rpc_thread = None


def register_rpc(name, func, argc=0):
    """Registers func as RPC function `name` of this worker: JS apps, other Python apps and remote
    nodes call it through uwsgi.rpc()/rpc(); it runs in this process's RPC thread (fd 5)."""
    global _rpc_thread
    if not callable(func):
        raise TypeError('register_rpc(): the function is not callable')
    _rpc_functions[name] = func
    if _rpc_thread is None:
        import threading

        _rpc_thread = threading.Thread(target=_serve_rpc, name='uwsgi-ts rpc', daemon=True)
        _rpc_thread.start()
    _call('register_rpc', name)
    return True


def _serve_rpc():
    import traceback

    from uwsgi_ts.channel import Channel, ChannelClosed

    channel = Channel(5)
    while True:
        try:
            kind, payload = channel.read()
        except ChannelClosed:
            return
        items = decode_list(payload)
        name = items[0].decode('utf-8', 'replace') if items else ''
        func = _rpc_functions.get(name)
        try:
            if func is None:
                raise LookupError('no Python RPC function named %r' % name)
            result = func(*items[1:])
            if result is None:
                result = b''
            elif isinstance(result, str):
                result = result.encode('utf-8')
            answer = b'B' + bytes(result)
        except Exception as err:
            _api.log('RPC function %s raised:\n%s' % (name, traceback.format_exc()))
            answer = b'E' + ('%s: %s' % (type(err).__name__, err)).encode('utf-8', 'replace')
        channel.send(b'A', answer)


def rpc_list():
    return tuple(_call('rpc_list'))


# --- caches (reference §7.3): the same shared memory the JS workers use ---
def cache_get(key, cache=None):
    return _call('cache_get', key, _cache(cache))


def cache_set(key, value, expires=0, cache=None):
    return _call('cache_set', key, value, int(expires), _cache(cache))


def cache_update(key, value, expires=0, cache=None):
    return _call('cache_update', key, value, int(expires), _cache(cache))


def cache_del(key, cache=None):
    return _call('cache_del', key, _cache(cache))


def cache_exists(key, cache=None):
    return _call('cache_exists', key, _cache(cache))


def cache_clear(cache=None):
    return _call('cache_clear', _cache(cache))


def cache_keys(cache=None):
    return [k.decode('latin-1') for k in _call('cache_keys', _cache(cache))]


def cache_num(key, cache=None):
    return _call('cache_num', key, _cache(cache))


def cache_inc(key, amount=1, expires=0, cache=None):
    return _call('cache_inc', key, int(amount), int(expires), _cache(cache))


def cache_dec(key, amount=1, expires=0, cache=None):
    return _call('cache_dec', key, int(amount), int(expires), _cache(cache))


def cache_mul(key, amount=2, expires=0, cache=None):
    return _call('cache_mul', key, int(amount), int(expires), _cache(cache))


def cache_div(key, amount=2, expires=0, cache=None):
    return _call('cache_div', key, int(amount), int(expires), _cache(cache))


# --- known uWSGI functions not served yet: a clear error instead of a missing name ---
_NOT_SERVED = (
    'spool', 'send_to_spooler',
    'websocket_handshake', 'websocket_recv',
    'websocket_recv_nb', 'websocket_send', 'websocket_send_binary', 'async_sleep',
    'suspend', 'green_schedule', 'sendfile', 'offload',
    'route', 'metric_get', 'metric_set', 'metric_inc', 'metric_dec', 'alarm', 'chain_reload',
    'workers', 'connection_fd', 'ready_fd', 'add_var', 'stop', 'listen_queue', 'register_spooler',
)


def _refuse(name):
    def refused(*args, **kwargs):
        raise NotSupported('uwsgi.%s is not served by uwsgi-ts yet (README "Python (WSGI)")' % name)

    refused.__name__ = name
    return refused


for _name in _NOT_SERVED:
    globals()[_name] = _refuse(_name)
del _name

# served since issue 14's spooler work (python/uwsgi_spool.py): these replace the refusals above;
# `uwsgi.spooler = fn` is a plain attribute the spooler's Python process reads
from uwsgi_spool import send_to_spooler, spool  # noqa: E402

# cache_get reads in place when the region is mapped, else it is the round trip above
from uwsgi_cache_map import cache_get  # noqa: E402,F811


# signals, mules and sharedareas (README "Python: signals, mules, sharedarea"): their own files
from uwsgi_ts.chunked import chunked_read, chunked_read_nb  # noqa: E402
from uwsgi_ts.mules import farm_msg, mule_get_msg, mule_id, mule_msg  # noqa: E402
from uwsgi_ts.sharedarea import NAMES as _SHAREDAREA_NAMES  # noqa: E402
from uwsgi_ts.signals import (  # noqa: E402
    add_cron,
    add_file_monitor,
    add_rb_timer,
    add_timer,
    register_signal,
    signal_received,
    signal_registered,
    signal_wait,
)

import uwsgi_ts.sharedarea as _sharedarea  # noqa: E402

for _name in _SHAREDAREA_NAMES:
    globals()[_name] = getattr(_sharedarea, _name)
del _name


def __getattr__(name):
    raise NotSupported('uwsgi.%s is not part of the uwsgi module served by uwsgi-ts' % name)


# uWSGI's WebSocket API (served: python/uwsgi_ts/websocket.py); after the refusals above
from uwsgi_ts.websocket import (  # noqa: E402
    websocket_handshake,
    websocket_recv,
    websocket_recv_nb,
    websocket_send,
    websocket_send_binary,
)
