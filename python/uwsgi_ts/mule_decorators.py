# uwsgidecorators' @mulefunc and the mule side that runs it (written from uWSGI's documented
# contract): the decorated function, called in a worker, becomes a pickled mule message
# ({'service': 'uwsgi_mulefunc', 'func': name, 'args': ..., 'kwargs': ...}); a signal-only mule
# that imported the same app (`mule` without a script, `mules = N`) hands its messages to
# uwsgi.mule_msg_hook, which this module sets to the dispatcher. `@mulefunc` alone targets mule 1
# here (uWSGI: any mule; uwsgi-ts's master hands id 0 to programmed mules only), `@mulefunc(N)`
# mule N, `@mulefunc('name')` the farm `name`.
import pickle

import uwsgi

_functions = {}


def mule_msg_dispatcher(message):
    try:
        call = pickle.loads(message)
    except Exception:
        return None
    if not isinstance(call, dict) or call.get('service') != 'uwsgi_mulefunc':
        return None
    fn = _functions.get(call.get('func'))
    if fn is None:
        uwsgi.log('mulefunc: no function named %r in this mule' % (call.get('func'),))
        return None
    return fn(*call.get('args', ()), **call.get('kwargs', {}))


uwsgi.mule_msg_hook = mule_msg_dispatcher


class mulefunc:
    """@mulefunc, @mulefunc(mule_id) or @mulefunc('farm'): calls run in a mule."""

    def __init__(self, target):
        if callable(target):
            self.mule = 1
            self.name = target.__name__
            _functions[self.name] = target
        else:
            self.mule = target
            self.name = None

    def _send(self, *args, **kwargs):
        message = pickle.dumps({'service': 'uwsgi_mulefunc', 'func': self.name, 'args': args, 'kwargs': kwargs})
        if isinstance(self.mule, str):
            return uwsgi.farm_msg(self.mule, message)
        return uwsgi.mule_msg(message, self.mule)

    def __call__(self, *args, **kwargs):
        if self.name is None:
            fn = args[0]
            self.name = fn.__name__
            _functions[self.name] = fn
            return self._send
        return self._send(*args, **kwargs)
