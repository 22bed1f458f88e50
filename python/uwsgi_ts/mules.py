# uWSGI's mule calls from Python: mule_id, mule_msg, mule_get_msg (src/python/python-mule-calls.ts
# answers them). A message goes through the master to a JS or a Python mule (`mule = script.py`,
# python/uwsgi_ts_mule.py); mule_get_msg waits on the events channel (events.py), so the
# process's other threads keep making their calls meanwhile.
import uwsgi as _u

from .events import events


def _mule_count():
    # the instance's mules, as uWSGI counts them: one per `mule` option, plus `mules`
    opt = _u.opt
    mule = opt.get('mule')
    count = 0 if mule is None else (len(mule) if isinstance(mule, list) else 1)
    more = opt.get('mules')
    if isinstance(more, list):
        more = more[-1]
    try:
        count += int(more) if more not in (None, True) else 0
    except ValueError:
        pass
    return count


def mule_id():
    return _u._conf.get('muleId', 0)


def mule_msg(message, mule=0):
    """Sends message (bytes or str) to mule `mule` (0: the next one); False when there is no such mule."""
    if isinstance(message, str):
        message = message.encode('utf-8')
    mule = int(mule)
    count = _mule_count()
    if count == 0 or mule < 0 or mule > count:
        return False
    return _u._call('mule_msg', bytes(message), mule)


def mule_get_msg(signals=True, farms=True, buffer_size=65536, timeout=-1):
    """The next message for this mule (bytes); blocks, or None after `timeout` seconds."""
    if mule_id() == 0:
        raise ValueError('you can receive mule messages only in a mule !!!')
    answer = events(_u._api.log).wait('mule_get_msg', int(timeout))
    if answer is None:
        raise SystemExit(0)
    return _u._decode(answer)


def farm_msg(farm, message):
    """Sends message to the farm `farm` (the first of its mules that asks takes it)."""
    if isinstance(message, str):
        message = message.encode('utf-8')
    if isinstance(farm, bytes):
        farm = farm.decode('utf-8')
    _u._call('farm_msg', str(farm), bytes(message))
