// The accept side of a uwsgi socket without a net.Socket per connection (README "Request path").
// nginx's uwsgi_pass opens one upstream connection per request (the protocol has no keep-alive),
// and Node's per-connection machinery (a net.Socket, two stream states, its events, a shutdown and
// a wait for the peer's close) cost a worker more than the request itself: ~55 us a connection
// against uWSGI's ~10 us. Here C does what uWSGI's core does for a connection: accept4, read the
// request, writev the answer, shutdown, read until the peer's close, close; JS is called once per
// request with the bytes read, and answers with one call.
//
// Only the common case stays here: a request whose head (and body) came whole in the first reads.
// Anything else (a body still on the wire, a peer that sends nothing for a while, an EOF before
// the head) is handed to JS with the bytes read so far (`handover`): JS wraps the fd in a
// net.Socket and the codec path of src/worker/bridge-server.ts goes on from there, unchanged.
//
// Node-API plus the libuv Node exports (uv_poll_t on the fds, one uv_timer_t sweeping deadlines).
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#define MAX_SLOTS (1 << 20)
#define ACCEPT_BURST 64
#define READ_CHUNK 65536

// What a connection is doing (who owes the next move).
enum state {
  S_READING,    // reading the request: JS not called yet
  S_APP,        // JS has the request; the answer is being written as it comes
  S_LINGER,     // answered and shut down: reading until the peer closes
  S_CLOSED,
};

// Events JS hears about, besides a request.
enum event {
  EV_HANDOVER = 1,  // take the fd (bytes read so far attached)
  EV_DRAIN = 2,     // the pending answer bytes went out
  EV_LOST = 3,      // the peer went (EOF or error) before the answer was complete
};

struct listener;

struct conn {
  uv_poll_t poll;
  int fd;
  int poll_inited;  // the uv_poll handle exists (made only when a wait is needed: it costs a syscall)
  int polling;      // uv_poll_start'ed with `events`
  int events;
  enum state state;
  uint32_t slot;
  uint32_t gen;
  struct listener *l;
  char *in;         // request bytes read (S_READING)
  size_t in_len, in_cap;
  char *out;        // answer bytes not written yet
  size_t out_len, out_off;
  int end_after;    // the answer is complete once `out` is written
  int writes;       // answer writes with bytes so far
  uint64_t deadline;
  uint64_t idle_since;
  struct conn *next, *prev;  // the listener's list, for the sweep
};

struct listener {
  uv_poll_t poll;
  int fd;
  int closed;
  int tcp;              // TCP_NODELAY applies
  uv_loop_t *loop;
  napi_env env;
  napi_ref on_request;  // (id, bytes)
  napi_ref on_event;    // (id, event, bytes?)
  napi_async_context async;
  napi_ref resource;
  uv_timer_t sweep;
  uint64_t timeout_ms;      // socket-timeout
  uint64_t handover_ms;     // a READING connection idle this long goes to JS
  size_t max_head;          // bytes read before JS must decide (4 + 65535 + what came with it)
  struct conn *head;
  uint32_t live;
};

static struct conn **slots;
static uint32_t *gens;
static uint32_t *free_slots;
static uint32_t free_top;
static uint32_t next_slot;

static double conn_id(struct conn *c) { return (double)c->gen * (double)MAX_SLOTS + (double)c->slot; }

static struct conn *conn_of(double id) {
  if (id < 0) return NULL;
  uint64_t v = (uint64_t)id;
  uint32_t slot = (uint32_t)(v % MAX_SLOTS);
  uint32_t gen = (uint32_t)(v / MAX_SLOTS);
  if (slot >= next_slot || !slots[slot] || gens[slot] != gen) return NULL;
  return slots[slot];
}

static int slot_alloc(struct conn *c) {
  if (!slots) {
    slots = calloc(MAX_SLOTS, sizeof *slots);
    gens = calloc(MAX_SLOTS, sizeof *gens);
    free_slots = calloc(MAX_SLOTS, sizeof *free_slots);
    if (!slots || !gens || !free_slots) return -1;
  }
  uint32_t s;
  if (free_top > 0) s = free_slots[--free_top];
  else if (next_slot < MAX_SLOTS) s = next_slot++;
  else return -1;
  slots[s] = c;
  gens[s]++;
  c->slot = s;
  c->gen = gens[s];
  return 0;
}

static void slot_free(struct conn *c) {
  slots[c->slot] = NULL;
  free_slots[free_top++] = c->slot;
}

static void call_js(struct listener *l, napi_ref fn_ref, int argc, napi_value *argv) {
  napi_env env = l->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, recv, result;
  napi_get_reference_value(env, fn_ref, &fn);
  napi_get_reference_value(env, l->resource, &recv);
  // make_callback: the nextTick queue and microtasks run after it, as after any I/O callback
  if (napi_make_callback(env, l->async, recv, fn, (size_t)argc, argv, &result) != napi_ok) {
    const napi_extended_error_info *info;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ex;
      napi_get_and_clear_last_exception(env, &ex);
      napi_fatal_exception(env, ex);
    } else {
      napi_get_last_error_info(env, &info);
    }
  }
  napi_close_handle_scope(env, scope);
}

// Tells JS of an event of connection `id`; with `bytes`, also the bytes read and the fd (a handover).
static void emit(struct listener *l, double id, enum event ev, const char *bytes, size_t len, int fd) {
  napi_env env = l->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[4];
  size_t argc = 2;
  napi_create_double(env, id, &argv[0]);
  napi_create_int32(env, ev, &argv[1]);
  if (bytes) {
    void *data;
    napi_create_buffer_copy(env, len, len ? bytes : "", &data, &argv[2]);
    napi_create_int32(env, fd, &argv[3]);
    argc = 4;
  }
  call_js(l, l->on_event, (int)argc, argv);
  napi_close_handle_scope(env, scope);
}

static void poll_closed(uv_handle_t *h) {
  struct conn *c = (struct conn *)h->data;
  free(c->in);
  free(c->out);
  free(c);
}

static void list_remove(struct conn *c) {
  struct listener *l = c->l;
  if (c->prev) c->prev->next = c->next;
  else l->head = c->next;
  if (c->next) c->next->prev = c->prev;
  c->next = c->prev = NULL;
  l->live--;
}

// Forgets the connection; closes its fd unless JS took it.
static void conn_release(struct conn *c, int close_fd) {
  if (c->state == S_CLOSED) return;
  c->state = S_CLOSED;
  list_remove(c);
  slot_free(c);
  if (c->poll_inited) {
    uv_close((uv_handle_t *)&c->poll, poll_closed);
  } else {
    c->poll.data = c;
    poll_closed((uv_handle_t *)&c->poll);
  }
  if (close_fd) close(c->fd);
}

static void conn_io(uv_poll_t *p, int status, int events);

static void want(struct conn *c, int events) {
  if (c->polling && c->events == events) return;
  if (!c->poll_inited) {
    if (uv_poll_init_socket(c->l->loop, &c->poll, c->fd) != 0) {
      conn_release(c, 1);
      return;
    }
    c->poll.data = c;
    c->poll_inited = 1;
  }
  c->events = events;
  c->polling = 1;
  uv_poll_start(&c->poll, events, conn_io);
}

// JS takes the fd: stop polling it here (the fd stays open), hand over what was read.
static void handover(struct conn *c) {
  char *in = c->in;
  size_t len = c->in_len;
  c->in = NULL;
  int fd = c->fd;
  // the uv_poll handle must be gone from the loop before JS opens the fd in its own handle
  if (c->polling) uv_poll_stop(&c->poll);
  c->polling = 0;
  struct listener *l = c->l;
  double id = conn_id(c);
  conn_release(c, 0);
  emit(l, id, EV_HANDOVER, in ? in : "", len, fd);
  free(in);
}

// The head is whole: 4 bytes of header plus its datasize (reference §1.1).
static int head_complete(struct conn *c) {
  if (c->in_len < 4) return 0;
  size_t size = (size_t)(unsigned char)c->in[1] | ((size_t)(unsigned char)c->in[2] << 8);
  return c->in_len >= 4 + size;
}

static void deliver(struct conn *c) {
  struct listener *l = c->l;
  c->state = S_APP;
  double id = conn_id(c);
  napi_env env = l->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[2];
  napi_create_double(env, id, &argv[0]);
  void *data;
  napi_create_buffer_copy(env, c->in_len, c->in, &data, &argv[1]);
  free(c->in);
  c->in = NULL;
  c->in_len = c->in_cap = 0;
  call_js(l, l->on_request, 2, argv);
  napi_close_handle_scope(env, scope);
  // an app that answers later: its peer's close (or junk) is noticed meanwhile
  c = conn_of(id);
  if (c && c->state == S_APP && !c->polling) want(c, UV_READABLE | UV_DISCONNECT);
}

// Reads what is there; 1 if the connection is still ours afterwards.
static int read_request(struct conn *c) {
  for (;;) {
    if (c->in_cap - c->in_len < 4096) {
      size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
      char *in = realloc(c->in, cap);
      if (!in) {
        conn_release(c, 1);
        return 0;
      }
      c->in = in;
      c->in_cap = cap;
    }
    ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (n > 0) {
      c->in_len += (size_t)n;
      c->idle_since = uv_now(c->l->loop);
      if (head_complete(c)) {
        deliver(c);
        return 0;
      }
      if (c->in_len >= c->l->max_head) {
        handover(c);
        return 0;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (c->in_len > 0) {
        // part of a head: the codec path reads the rest, with its socket-timeout and lines
        handover(c);
        return 0;
      }
      want(c, UV_READABLE);
      return 1;
    }
    // EOF or an error before a whole head: the codec path says what it says of those
    handover(c);
    return 0;
  }
}

// Drops what the peer sends; 1 while it has not closed.
static int drain_input(struct conn *c) {
  char sink[READ_CHUNK];
  for (;;) {
    ssize_t n = read(c->fd, sink, sizeof sink);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
    return 0;
  }
}

// Writes the pending answer bytes; -1 on a write error, 1 when all went out, 0 when some wait.
static int flush_out(struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
    if (n > 0) {
      c->out_off += (size_t)n;
      c->deadline = uv_now(c->l->loop) + c->l->timeout_ms;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return -1;
  }
  free(c->out);
  c->out = NULL;
  c->out_len = c->out_off = 0;
  return 1;
}

// The peer went before the answer was complete: forget the connection, then tell JS.
static void lost(struct conn *c) {
  struct listener *l = c->l;
  double id = conn_id(c);
  conn_release(c, 1);
  emit(l, id, EV_LOST, NULL, 0, -1);
}

// The answer is out: close now when the peer sent nothing more (what uWSGI does, and nothing is
// left to reset the answer), else FIN and read until the peer closes, for socket-timeout at most.
static void answered(struct conn *c, int junk) {
  if (!junk) {
    char probe[4096];
    ssize_t n;
    do n = read(c->fd, probe, sizeof probe);
    while (n < 0 && errno == EINTR);
    if (n == 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
      conn_release(c, 1);
      return;
    }
    if (n < 0) {
      conn_release(c, 1);
      return;
    }
  }
  shutdown(c->fd, SHUT_WR);
  c->state = S_LINGER;
  c->deadline = uv_now(c->l->loop) + c->l->timeout_ms;
  want(c, UV_READABLE | UV_DISCONNECT);
}

static void conn_io(uv_poll_t *p, int status, int events) {
  struct conn *c = (struct conn *)p->data;
  if (c->state == S_CLOSED) return;
  if (c->state == S_READING) {
    if (status < 0) handover(c);
    else read_request(c);
    return;
  }
  if (c->state == S_APP) {
    if (status < 0) {
      lost(c);
      return;
    }
    if ((events & UV_WRITABLE) && c->out) {
      int r = flush_out(c);
      if (r < 0) {
        lost(c);
        return;
      }
      if (r == 1) {
        if (c->end_after) {
          answered(c, c->end_after == 2);
          return;
        }
        want(c, UV_READABLE | UV_DISCONNECT);
        double id = conn_id(c);
        emit(c->l, id, EV_DRAIN, NULL, 0, -1);
        c = conn_of(id);
        if (!c || c->state != S_APP) return;
      }
    }
    if (events & (UV_READABLE | UV_DISCONNECT)) {
      // junk behind the request is dropped; the peer's close before the answer is a loss
      if (!drain_input(c)) lost(c);
    }
    return;
  }
  if (c->state == S_LINGER) {
    if (status < 0 || !drain_input(c)) conn_release(c, 1);
  }
}

static void accept_io(uv_poll_t *p, int status, int events) {
  (void)events;
  struct listener *l = (struct listener *)p->data;
  if (status < 0 || l->closed) return;
  for (int i = 0; i < ACCEPT_BURST; i++) {
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN (another worker took it), EMFILE...: the next readiness retries
    }
    struct conn *c = calloc(1, sizeof *c);
    if (!c || slot_alloc(c) != 0) {
      free(c);
      close(fd);
      continue;
    }
    c->fd = fd;
    c->l = l;
    c->state = S_READING;
    c->idle_since = uv_now(l->loop);
    c->next = l->head;
    if (l->head) l->head->prev = c;
    l->head = c;
    l->live++;
    // nginx writes its request right after connecting: it is often there already
    read_request(c);
    if (l->closed) return;
  }
}

static void sweep(uv_timer_t *t) {
  struct listener *l = (struct listener *)t->data;
  uint64_t now = uv_now(l->loop);
  // ids first: a handover calls JS, which may end any connection of the list
  double quiet[256], gone[256];
  int n = 0, n_lost = 0;
  struct conn *c = l->head;
  while (c) {
    struct conn *next = c->next;
    if (c->state == S_READING && now - c->idle_since >= l->handover_ms) {
      if (n < 256) quiet[n++] = conn_id(c);
    } else if (c->state == S_LINGER && now >= c->deadline) {
      conn_release(c, 1);
    } else if (c->state == S_APP && c->out && now >= c->deadline) {
      // a peer that stopped reading the answer for socket-timeout
      if (n_lost < 256) gone[n_lost++] = conn_id(c);
    }
    c = next;
  }
  for (int i = 0; i < n_lost; i++) {
    c = conn_of(gone[i]);
    if (c && c->state == S_APP) lost(c);
  }
  // a quiet peer: the codec path times it out (socket-timeout) and says so in the log
  for (int i = 0; i < n; i++) {
    c = conn_of(quiet[i]);
    if (c && c->state == S_READING) handover(c);
  }
}

// accept(fd, onRequest, onEvent, {timeoutMs, handoverMs, maxHead}) -> listener external
static void listener_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  (void)hint;
}

static napi_value Accept(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_value self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  int32_t fd = -1;
  double timeout_ms = 4000, handover_ms = 500, max_head = 65539 + 4096;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "ERR_CONN_ARGS", "accept(fd, onRequest, onEvent, timeoutMs, handoverMs, maxHead)");
    return NULL;
  }
  if (argc > 3) napi_get_value_double(env, argv[3], &timeout_ms);
  if (argc > 4) napi_get_value_double(env, argv[4], &handover_ms);
  if (argc > 5) napi_get_value_double(env, argv[5], &max_head);
  struct listener *l = calloc(1, sizeof *l);
  if (!l) {
    napi_throw_error(env, "ERR_CONN_NOMEM", "out of memory");
    return NULL;
  }
  l->env = env;
  l->fd = fd;
  struct sockaddr_storage addr;
  socklen_t addr_len = sizeof addr;
  l->tcp = getsockname(fd, (struct sockaddr *)&addr, &addr_len) == 0 && addr.ss_family != AF_UNIX;
  l->timeout_ms = (uint64_t)timeout_ms;
  l->handover_ms = (uint64_t)handover_ms;
  l->max_head = (size_t)max_head;
  napi_create_reference(env, argv[1], 1, &l->on_request);
  napi_create_reference(env, argv[2], 1, &l->on_event);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &l->resource);
  napi_create_string_utf8(env, "uwsgi-ts:conn", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &l->async);
  struct uv_loop_s *loop;
  napi_get_uv_event_loop(env, &loop);
  l->loop = loop;
  if (uv_poll_init_socket(loop, &l->poll, fd) != 0) {
    napi_throw_error(env, "ERR_CONN_POLL", "cannot poll the listening socket");
    return NULL;
  }
  l->poll.data = l;
  uv_poll_start(&l->poll, UV_READABLE, accept_io);
  uv_timer_init(loop, &l->sweep);
  l->sweep.data = l;
  uint64_t every = l->handover_ms < 250 ? l->handover_ms : 250;
  uv_timer_start(&l->sweep, sweep, every, every);
  uv_unref((uv_handle_t *)&l->sweep);
  napi_value ext;
  napi_create_external(env, l, listener_finalize, NULL, &ext);
  return ext;
}

static struct listener *listener_of(napi_env env, napi_value v) {
  void *p = NULL;
  napi_get_value_external(env, v, &p);
  return (struct listener *)p;
}

// stopAccepting(listener): no new connections; those in flight go on
static napi_value StopAccepting(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct listener *l = listener_of(env, argv[0]);
  if (l && !l->closed) {
    l->closed = 1;
    uv_poll_stop(&l->poll);
  }
  return NULL;
}

// live(listener) -> connections still held here (lingering ones included)
static napi_value Live(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct listener *l = listener_of(env, argv[0]);
  napi_create_uint32(env, l ? l->live : 0, &out);
  return out;
}

// write(id, chunks[], end) -> bytes still pending here (-1: the connection is gone)
static napi_value Write(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double id;
  napi_get_value_double(env, argv[0], &id);
  int32_t end = 0;  // 1: the answer is complete; 2: complete, and the peer sent bytes behind it
  if (argc > 2) napi_get_value_int32(env, argv[2], &end);
  struct conn *c = conn_of(id);
  if (!c || c->state != S_APP) {
    napi_create_int32(env, -1, &out);
    return out;
  }
  uint32_t n = 0;
  napi_get_array_length(env, argv[1], &n);
  // the chunks, walked once: writev takes them as they are, the rest is copied from the same list
  struct iovec stack_iov[64];
  struct iovec *iov = n <= 64 ? stack_iov : malloc(n * sizeof *iov);
  if (!iov) {
    napi_throw_error(env, "ERR_CONN_NOMEM", "out of memory");
    return NULL;
  }
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, argv[1], i, &item);
    napi_get_buffer_info(env, item, &iov[i].iov_base, &iov[i].iov_len);
    total += iov[i].iov_len;
  }
  size_t written = 0;
  int failed = 0;
  if (total > 0 && ++c->writes == 2 && c->l->tcp) {
    // an answer in several writes (a stream): no Nagle delay between them, as Node's noDelay;
    // a one-write answer never needs the syscall
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (!c->out && total > 0) {
    for (;;) {
      ssize_t w = writev(c->fd, iov, (int)(n < IOV_MAX ? n : IOV_MAX));
      if (w >= 0) written = (size_t)w;
      else if (errno == EINTR) continue;
      else if (errno != EAGAIN && errno != EWOULDBLOCK) failed = 1;
      break;
    }
  }
  if (failed) {
    if (iov != stack_iov) free(iov);
    // EPIPE, ECONNRESET: JS learns it from the -1 and ends the exchange itself
    conn_release(c, 1);
    napi_create_int32(env, -1, &out);
    return out;
  }
  if (written < total || c->out) {
    // keep the rest here: it goes out as the socket drains
    size_t rest = total - written;
    size_t have = c->out ? c->out_len - c->out_off : 0;
    char *buf = malloc(have + rest);
    if (!buf) {
      if (iov != stack_iov) free(iov);
      napi_throw_error(env, "ERR_CONN_NOMEM", "out of memory");
      return NULL;
    }
    if (have) memcpy(buf, c->out + c->out_off, have);
    size_t at = have, skip = written;
    for (uint32_t i = 0; i < n; i++) {
      size_t len = iov[i].iov_len;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      memcpy(buf + at, (char *)iov[i].iov_base + skip, len - skip);
      at += len - skip;
      skip = 0;
    }
    if (iov != stack_iov) free(iov);
    free(c->out);
    c->out = buf;
    c->out_len = at;
    c->out_off = 0;
    c->end_after = end;
    c->deadline = uv_now(c->l->loop) + c->l->timeout_ms;
    want(c, UV_READABLE | UV_WRITABLE | UV_DISCONNECT);
    napi_create_double(env, (double)at, &out);
    return out;
  }
  if (iov != stack_iov) free(iov);
  napi_create_int32(env, 0, &out);
  if (end) answered(c, end == 2);
  return out;
}

// destroy(id): the answer is cut short; the connection closes at once (the peer sees a reset
// or a short answer), as a destroyed net.Socket
static napi_value Destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double id;
  napi_get_value_double(env, argv[0], &id);
  struct conn *c = conn_of(id);
  if (c) conn_release(c, 1);
  return NULL;
}

// take(id) -> fd: JS takes the connection (a request it does not serve here); -1 if it is gone
static napi_value Take(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double id;
  napi_get_value_double(env, argv[0], &id);
  struct conn *c = conn_of(id);
  int fd = -1;
  if (c && (c->state == S_APP || c->state == S_READING) && !c->out) {
    fd = c->fd;
    conn_release(c, 0);
  }
  napi_create_int32(env, fd, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"accept", NULL, Accept, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stopAccepting", NULL, StopAccepting, NULL, NULL, NULL, napi_enumerable, NULL},
      {"live", NULL, Live, NULL, NULL, NULL, napi_enumerable, NULL},
      {"write", NULL, Write, NULL, NULL, NULL, napi_enumerable, NULL},
      {"destroy", NULL, Destroy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"take", NULL, Take, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
