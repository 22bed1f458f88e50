# uWSGI's sharedarea_* calls from Python, on the areas the JS apps share (`sharedarea = PAGES`;
# src/python/python-sharedarea-calls.ts answers them). Answers as uWSGI 2.0.21 gives them: reads
# of 8..64 bits signed, writes None, a position outside the area a ValueError. uWSGI 2.0.21 has
# inc/dec for 32 and 64 bits only, and so does this module. sharedarea_memoryview() maps the
# area's bytes into this process (the worker's memfd of the shared region, through /proc), so
# reads and writes through it are plain memory, without the area's lock, as in uWSGI.
import mmap
import threading

import uwsgi as _u


def _call(what, *args):
    try:
        return _u._call(what, *args)
    except ValueError as err:
        raise ValueError('error calling uwsgi_%s(): %s' % (what, err)) from None


def _data(value):
    if isinstance(value, str):
        return value.encode('utf-8')
    return bytes(value)


def sharedarea_read(id, pos, length=0):
    return _call('sharedarea_read', int(id), int(pos), int(length))


def sharedarea_write(id, pos, value):
    _call('sharedarea_write', int(id), int(pos), _data(value))


def sharedarea_readbyte(id, pos):
    return _call('sharedarea_readbyte', int(id), int(pos))


def sharedarea_writebyte(id, pos, value):
    _call('sharedarea_writebyte', int(id), int(pos), int(value))


def _reader(bits):
    def read(id, pos):
        return _call('sharedarea_read%d' % bits, int(id), int(pos))

    read.__name__ = 'sharedarea_read%d' % bits
    return read


def _writer(bits):
    def write(id, pos, value):
        _call('sharedarea_write%d' % bits, int(id), int(pos), int(value))

    write.__name__ = 'sharedarea_write%d' % bits
    return write


def _adder(name):
    def add(id, pos, amount=1):
        _call(name, int(id), int(pos), int(amount))

    add.__name__ = name
    return add


sharedarea_read8 = _reader(8)
sharedarea_read16 = _reader(16)
sharedarea_read32 = _reader(32)
sharedarea_read64 = _reader(64)
sharedarea_write8 = _writer(8)
sharedarea_write16 = _writer(16)
sharedarea_write32 = _writer(32)
sharedarea_write64 = _writer(64)
sharedarea_inc32 = _adder('sharedarea_inc32')
sharedarea_inc64 = _adder('sharedarea_inc64')
sharedarea_dec32 = _adder('sharedarea_dec32')
sharedarea_dec64 = _adder('sharedarea_dec64')

_views = {}
_views_lock = threading.Lock()


def sharedarea_memoryview(id):
    id = int(id)
    with _views_lock:
        view = _views.get(id)
        if view is None:
            path, offset, size = (int(v) if i else v.decode() for i, v in enumerate(_call('sharedarea_map', id)))
            start = offset - offset % mmap.ALLOCATIONGRANULARITY
            with open(path, 'r+b') as region:
                mapped = mmap.mmap(region.fileno(), offset - start + size, offset=start)
            view = memoryview(mapped)[offset - start:offset - start + size]
            _views[id] = view
        return view


NAMES = ('sharedarea_memoryview', 
    'sharedarea_read', 'sharedarea_write', 'sharedarea_readbyte', 'sharedarea_writebyte',
    'sharedarea_read8', 'sharedarea_read16', 'sharedarea_read32', 'sharedarea_read64',
    'sharedarea_write8', 'sharedarea_write16', 'sharedarea_write32', 'sharedarea_write64',
    'sharedarea_inc32', 'sharedarea_inc64', 'sharedarea_dec32', 'sharedarea_dec64',
)
