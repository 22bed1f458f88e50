{
  "targets": [
    {
      "target_name": "uwsgi_ts_shm",
      "sources": ["native/shm.c"],
      "cflags": ["-O2", "-Wall"]
    },
    {
      "target_name": "uwsgi_ts_notify",
      "sources": ["native/notify.c"],
      "cflags": ["-O2", "-Wall"]
    },
    {
      "target_name": "uwsgi_ts_listen",
      "sources": ["native/listen.c"],
      "cflags": ["-O2", "-Wall"]
    },
    {
      "target_name": "uwsgi_ts_conn",
      "sources": ["native/conn.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
