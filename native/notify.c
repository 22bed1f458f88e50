// sd_notify for uwsgi-ts (issue 17, systemd Type=notify): one datagram to the unix socket named by
// NOTIFY_SOCKET. Node has no unix datagram sockets; this is the one syscall it lacks, sent from
// the main process itself (systemd's NotifyAccess=main accepts only the main pid). A path starting
// with '@' is in the abstract namespace, as systemd writes it. Node-API only.
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

// notify(path, message) -> undefined; throws ERR_NOTIFY with the errno text
static napi_value Notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, "ERR_NOTIFY_ARGS", "notify(path, message)");
    return NULL;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t path_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], addr.sun_path, sizeof addr.sun_path, &path_len) != napi_ok ||
      path_len == 0 || path_len >= sizeof addr.sun_path - 1) {
    napi_throw_type_error(env, "ERR_NOTIFY_ARGS", "the notify socket path is empty or too long");
    return NULL;
  }
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  size_t message_len = 0;
  if (napi_get_value_string_utf8(env, argv[1], NULL, 0, &message_len) != napi_ok) {
    napi_throw_type_error(env, "ERR_NOTIFY_ARGS", "the message must be a string");
    return NULL;
  }
  char message[4096];
  if (message_len >= sizeof message) {
    napi_throw_type_error(env, "ERR_NOTIFY_ARGS", "the message is longer than 4095 bytes");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[1], message, sizeof message, &message_len);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ssize_t sent = -1;
  if (fd >= 0) {
    sent = sendto(fd, message, message_len, MSG_NOSIGNAL, (struct sockaddr *)&addr,
                  (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len));
    int saved = errno;
    close(fd);
    errno = saved;
  }
  if (sent < 0) {
    char text[160];
    snprintf(text, sizeof text, "sendto(NOTIFY_SOCKET): %s", strerror(errno));
    napi_throw_error(env, "ERR_NOTIFY", text);
    return NULL;
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"notify", NULL, Notify, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
