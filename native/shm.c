// Shared memory for an instance (issue "Shared services"): a memfd the master creates and every
// worker maps, and a futex wait/wake over it. Node cannot map memory nor wait on a word another
// process changes; everything else (the layout, the locks' fast path, the caches) is JS over the
// ArrayBuffer this returns. Written for Linux (memfd_create, futex); Node-API only, so one build
// serves every Node version >= 20.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define THROW_ERRNO(env, what)                                         \
  do {                                                                 \
    char message[160];                                                 \
    snprintf(message, sizeof message, "%s: %s", what, strerror(errno)); \
    napi_throw_error(env, "ERR_SHM", message);                         \
    return NULL;                                                       \
  } while (0)

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, "ERR_SHM_ARGS", "missing arguments");
    return 0;
  }
  return 1;
}

static int64_t get_int(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

// create(size) -> fd: an anonymous memory file of `size` bytes (zeroed)
static napi_value Create(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int64_t size = get_int(env, argv[0]);
  int fd = (int)syscall(SYS_memfd_create, "uwsgi-ts", 0);
  if (fd < 0) THROW_ERRNO(env, "memfd_create");
  if (ftruncate(fd, (off_t)size) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    THROW_ERRNO(env, "ftruncate");
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

// map(fd, size) -> ArrayBuffer over a MAP_SHARED mapping (kept for the life of the process)
static napi_value Map(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  int fd = (int)get_int(env, argv[0]);
  size_t size = (size_t)get_int(env, argv[1]);
  void *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) THROW_ERRNO(env, "mmap");
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, data, size, NULL, NULL, &buffer) != napi_ok) {
    munmap(data, size);
    napi_throw_error(env, "ERR_SHM", "cannot wrap the mapping in an ArrayBuffer");
    return NULL;
  }
  return buffer;
}

static int32_t *word_at(napi_env env, napi_value ab, int64_t offset) {
  void *data = NULL;
  size_t length = 0;
  if (napi_get_arraybuffer_info(env, ab, &data, &length) != napi_ok || offset < 0 || (offset & 3) ||
      (size_t)offset + 4 > length) {
    napi_throw_range_error(env, "ERR_SHM_OFFSET", "bad futex offset");
    return NULL;
  }
  return (int32_t *)((char *)data + offset);
}

// wait(ab, offset, expected, timeoutMs) -> 0 woken, 1 timed out, 2 the word was not `expected`,
// 3 interrupted (a signal: the caller looks at the word again)
static napi_value Wait(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  int32_t *word = word_at(env, argv[0], get_int(env, argv[1]));
  if (!word) return NULL;
  int32_t expected = (int32_t)get_int(env, argv[2]);
  int64_t ms = get_int(env, argv[3]);
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
  long r = syscall(SYS_futex, word, FUTEX_WAIT, expected, ms >= 0 ? &ts : NULL, NULL, 0);
  int32_t code = 0;
  if (r != 0) code = errno == ETIMEDOUT ? 1 : errno == EAGAIN ? 2 : 3;
  napi_value result;
  napi_create_int32(env, code, &result);
  return result;
}

// wake(ab, offset, count) -> the number of processes woken
static napi_value Wake(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  int32_t *word = word_at(env, argv[0], get_int(env, argv[1]));
  if (!word) return NULL;
  long r = syscall(SYS_futex, word, FUTEX_WAKE, (int)get_int(env, argv[2]), NULL, NULL, 0);
  napi_value result;
  napi_create_int32(env, r < 0 ? 0 : (int32_t)r, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"create", NULL, Create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"map", NULL, Map, NULL, NULL, NULL, napi_enumerable, NULL},
      {"wait", NULL, Wait, NULL, NULL, NULL, napi_enumerable, NULL},
      {"wake", NULL, Wake, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
