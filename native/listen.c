// listen(2) on a bound socket, from the master (README "Sockets": connections that arrive while the
// first workers load their apps wait in the kernel's queue, as they do under uWSGI's master, instead
// of being refused). Node binds without listening (net._createServerHandle, as the cluster module
// does) and libuv listens only where it also polls; this calls the one syscall without polling, so
// the master never accepts: the workers' own listen() on the same socket later starts their accept
// loop (a second listen() only sets the backlog again). Node-API only.
// readable(fd) is poll(2) with no timeout: the Emperor's on-demand sockets (src/emperor/on-demand.ts)
// wait for their first connection without accepting it, which libuv cannot do.
#include <errno.h>
#include <node_api.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

// listen(fd, backlog) -> undefined; throws ERR_LISTEN with the errno text
static napi_value Listen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  int32_t backlog = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &backlog) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "ERR_LISTEN_ARGS", "listen(fd, backlog)");
    return NULL;
  }
  if (listen(fd, backlog) != 0) {
    char text[128];
    snprintf(text, sizeof text, "listen(%d): %s", fd, strerror(errno));
    napi_throw_error(env, "ERR_LISTEN", text);
  }
  return NULL;
}

// readable(fd) -> true when a connection waits to be accepted (POLLIN), false otherwise
static napi_value Readable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "ERR_READABLE_ARGS", "readable(fd)");
    return NULL;
  }
  struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
  int n;
  do n = poll(&p, 1, 0);
  while (n < 0 && errno == EINTR);
  napi_value out;
  napi_get_boolean(env, n > 0 && (p.revents & POLLIN) != 0, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"listen", NULL, Listen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readable", NULL, Readable, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
