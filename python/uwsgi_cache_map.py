# uwsgi.cache_get in the Python process itself (README "Python cache_get fast path"): the
# instance's shared region is mapped here (its memfd is inherited at the fd the JS side names,
# src/python/python-cache-map.ts) and a cache is read as the JS Cache reads it
# (src/cache/cache.ts, cache-layout.ts): the key's hash picks a bucket, the chain of slots is
# walked, the value is copied out of its data block. The read holds the cache's readers-writer
# lock (src/locks/shared-rwlock.ts) taken with the same atomic protocol, through libatomic:
# a compare-and-swap adds a reader while no writer holds or waits; the last reader out wakes
# a waiting writer (futex). When a writer holds or waits, when libatomic or the mapping is
# missing, or for a purge_lru / lazy_expire cache (their reads change the cache), the call goes
# to the JS side as before (a round trip), which waits properly. Writes always go there.
import ctypes
import mmap

import uwsgi

# the lock word's bits (src/locks/shared-rwlock.ts)
_WRITER = 1 << 30
_WAITING = 1 << 29
_READERS = _WAITING - 1
_BUSY = _WRITER | _WAITING
_SEQ_CST = 5
_SYS_FUTEX = 202  # x86_64; other machines: the round trip (below)
_FUTEX_WAKE = 1

# slot fields (src/cache/cache-layout.ts), in int32 units from the slot's start
_S_KEYLEN = 0
_S_HASH = 1
_S_VALSIZE = 2
_S_BLOCK = 3
_S_HNEXT = 5
_SLOT_HEAD_BYTES = 40
# the head's hits / miss counters: int64 as two int32 words, low first, at f64 index 4 / 5
_HITS_I32 = 8
_MISS_I32 = 10

_caches = {}
_default = None
_ready = False


def _djb33x(data):
    h = 5381
    for c in data:
        # uWSGI hashes signed chars: a byte >= 0x80 is negative
        h = ((h * 33) & 0xFFFFFFFF) ^ (c if c < 0x80 else c | 0xFFFFFF00)
    return h


def _murmur2(data):
    m = 0x5BD1E995
    n = len(data)
    h = n
    i = 0
    while i + 4 <= n:
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
        i += 4
    rest = n - i
    if rest > 0:
        if rest == 3:
            h ^= data[i + 2] << 16
        if rest >= 2:
            h ^= data[i + 1] << 8
        h ^= data[i]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


class _Cache:
    __slots__ = ('name', 'lock_i32', 'lock_ptr', 'lock_addr', 'hash_i32', 'hashsize', 'slots', 'slot_bytes',
                 'data', 'blocksize', 'keysize', 'hasher', 'hits_ptr', 'hits_hi_ptr', 'miss_ptr',
                 'miss_hi_ptr', 'hashes')

    def __init__(self, view, base):
        self.name = view['name']
        self.lock_i32 = view['lock'] >> 2
        self.lock_addr = base + view['lock']
        self.lock_ptr = ctypes.c_void_p(self.lock_addr)
        self.hash_i32 = view['hash'] >> 2
        self.hashsize = view['hashsize']
        self.slots = view['slots']
        self.slot_bytes = view['slotBytes']
        self.data = view['data']
        self.blocksize = view['blocksize']
        self.keysize = view['keysize']
        self.hasher = _murmur2 if view['murmur'] else _djb33x
        self.hits_ptr = ctypes.c_void_p(base + view['lock'] + _HITS_I32 * 4)
        self.hits_hi_ptr = ctypes.c_void_p(base + view['lock'] + _HITS_I32 * 4 + 4)
        self.miss_ptr = ctypes.c_void_p(base + view['lock'] + _MISS_I32 * 4)
        self.miss_hi_ptr = ctypes.c_void_p(base + view['lock'] + _MISS_I32 * 4 + 4)
        # key -> hash: an app asks for the same keys again and again
        self.hashes = {}


class _Region:
    def __init__(self, conf):
        self.mm = mmap.mmap(conf['fd'], conf['length'], mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self.i32 = memoryview(self.mm).cast('i')
        self.base = ctypes.addressof(ctypes.c_char.from_buffer(self.mm))
        atomic = ctypes.CDLL('libatomic.so.1')
        self.cas = getattr(atomic, '__atomic_compare_exchange_4')
        self.cas.restype = ctypes.c_bool
        self.fetch_add = getattr(atomic, '__atomic_fetch_add_4')
        self.fetch_add.restype = ctypes.c_int
        self.fetch_sub = getattr(atomic, '__atomic_fetch_sub_4')
        self.fetch_sub.restype = ctypes.c_int
        self.syscall = ctypes.CDLL(None, use_errno=True).syscall


_region = None


def setup(conf):
    """Maps the region (conf: the cacheMap of the process's conf); without it nothing changes."""
    global _region, _default, _ready
    import os
    import platform

    # bench/python-cache.mjs measures the round trip beside the in-process read with this
    if not conf or not conf.get('caches') or os.environ.get('UWSGI_TS_PY_CACHE_ROUNDTRIP'):
        return

    if platform.machine() not in ('x86_64', 'AMD64'):
        return
    try:
        _region = _Region(conf)
    except Exception as err:
        uwsgi.log('uwsgi-ts: cache_get goes through the worker (no in-process read: %s)' % err)
        return
    for index, view in enumerate(conf['caches']):
        if not view['fast']:
            continue
        cache = _Cache(view, _region.base)
        _caches[view['name']] = cache
        if index == 0:
            _default = cache
    _ready = True


# (c_int, byref) pairs for the compare-and-swap's `expected`, reused: list pop/append are atomic
# under the GIL, so two threads of the process never share one
_expected = []


def _read(c, key):
    """The value (bytes), None when absent, or False when the lock could not be taken at once."""
    region = _region
    i32 = region.i32
    cas = region.cas
    lock = c.lock_ptr
    word = c.lock_i32
    pair = _expected.pop() if _expected else _new_expected()
    expected, ref = pair
    try:
        s = i32[word]
        if s & _BUSY:
            return False
        expected.value = s
        tries = 8
        # another reader came in between: try again a few times (a writer: the round trip waits)
        while not cas(lock, ref, s + 1, _SEQ_CST, _SEQ_CST):
            tries -= 1
            s = i32[word]
            if tries == 0 or s & _BUSY:
                return False
            expected.value = s
        try:
            h = c.hashes.get(key)
            if h is None:
                h = c.hasher(key)
                if len(c.hashes) > 4096:
                    c.hashes.clear()
                c.hashes[key] = h
            signed = h - 0x100000000 if h & 0x80000000 else h
            n = len(key)
            mm = region.mm
            s = i32[c.hash_i32 + h % c.hashsize]
            while s:
                at = c.slots + (s - 1) * c.slot_bytes
                b = at >> 2
                if i32[b + _S_HASH] == signed and i32[b + _S_KEYLEN] == n:
                    k = at + _SLOT_HEAD_BYTES
                    if mm[k:k + n] == key:
                        start = c.data + i32[b + _S_BLOCK] * c.blocksize
                        value = mm[start:start + i32[b + _S_VALSIZE]]
                        if region.fetch_add(c.hits_ptr, 1, _SEQ_CST) == -1:
                            region.fetch_add(c.hits_hi_ptr, 1, _SEQ_CST)
                        return value
                s = i32[b + _S_HNEXT]
            if region.fetch_add(c.miss_ptr, 1, _SEQ_CST) == -1:
                region.fetch_add(c.miss_hi_ptr, 1, _SEQ_CST)
            return None
        finally:
            left = region.fetch_sub(lock, 1, _SEQ_CST) - 1
            if left & _READERS == 0 and left & _WAITING:
                # the last reader out wakes the writer waiting (as rdunlock() + release())
                expected.value = left
                if cas(lock, ref, left & ~_WAITING, _SEQ_CST, _SEQ_CST):
                    region.syscall(_SYS_FUTEX, lock, _FUTEX_WAKE, 0x7FFFFFFF, None, None, 0)
    finally:
        _expected.append(pair)


def _new_expected():
    expected = ctypes.c_int()
    return expected, ctypes.byref(expected)


def cache_get(key, cache=None):
    if _ready:
        c = _default if not cache else _caches.get(cache)
        if c is not None:
            if isinstance(key, str):
                key = key.encode('utf-8')
            if isinstance(key, bytes) and 0 < len(key) <= c.keysize:
                value = _read(c, key)
                if value is not False:
                    return value
    return uwsgi._call('cache_get', key, '' if cache is None else cache)
