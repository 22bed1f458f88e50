// The snippets page's "Multiple flask apps in different mountpoints" (seed 000): its three Flask
// apps and its ini as written (plugin = python, callable = app, manage-script-name), with only the
// socket path moved to a temp dir, behind a real nginx's uwsgi_pass. Debian's python3-flask.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { httpGet as get } from '../helpers/http.js';
import { startNginx } from '../helpers/nginx.js';
import { PYTHON_PATH, pythonHas } from '../helpers/python.js';
import { startServer } from '../helpers/server.js';

const flaskApp = (n: number) => `from flask import Flask
app = Flask(__name__)

@app.route("/")
def hello():
    return "Hello World! i am app${n}"
`;

const ini = (socket: string) => `[uwsgi]
plugin = python
mount = /app1=app1.py
mount = /app2=app2.py
mount = /app3=app3.py
; generally flask apps expose the 'app' callable instead of 'application'
callable = app

; tell uWSGI to rewrite PATH_INFO and SCRIPT_NAME according to mount-points
manage-script-name = true

; bind to a socket
socket = ${socket}
`;

test('three Flask apps on /app1 /app2 /app3 behind nginx, from the snippet ini', {
  timeout: 60_000,
  skip: pythonHas('flask') ? false : 'Debian python3-flask is not installed',
}, async (t) => {
  const tmp = tempFiles({ 'app1.py': flaskApp(1), 'app2.py': flaskApp(2), 'app3.py': flaskApp(3) });
  t.after(tmp.cleanup);
  const socket = join(tmp.dir, 'uwsgi.sock');
  writeFileSync(join(tmp.dir, 'uwsgi.ini'), ini(socket));
  const server = await startServer([join(tmp.dir, 'uwsgi.ini')], {
    cwd: tmp.dir,
    env: { PATH: PYTHON_PATH },
    timeoutMs: 30_000,
  });
  t.after(() => server.close());
  const nginx = await startNginx({ locations: [{ path: '/', pass: 'uwsgi', upstream: `unix:${socket}` }] });
  if (!nginx) {
    t.skip('nginx is not installed');
    return;
  }
  t.after(() => nginx.close());
  for (const n of [1, 2, 3]) {
    const reply = await get(nginx.port, `/app${n}/`);
    assert.equal(reply.status, 200, `app${n}: ${reply.body}`);
    assert.equal(reply.body, `Hello World! i am app${n}`);
    // the mountpoint alone: PATH_INFO is empty and Flask redirects to the slash (as under uWSGI)
    const bare = await get(nginx.port, `/app${n}`);
    assert.equal(bare.status, 308);
    assert.match(String(bare.headers.location), new RegExp(`/app${n}/$`));
  }
  // Flask's own 404 for a path below a mountpoint: the app saw PATH_INFO without the mountpoint
  assert.equal((await get(nginx.port, '/app2/nothing')).status, 404);
  assert.doesNotMatch(server.log(), /not supported|Traceback/);
  await server.waitFor(/WSGI app 2 \(mountpoint='\/app3'\) ready/);
});
