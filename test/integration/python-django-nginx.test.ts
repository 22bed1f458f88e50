// A real Django project (`django-admin startproject`, Debian's python3-django) served behind
// nginx: the admin's static files through static-map, its login form (a POST with the CSRF token
// and cookie), the session it opens, and a POST without the token refused by Django's CSRF check.
// The project's code is as generated; the deploy steps are Django's own (STATIC_ROOT for
// collectstatic, migrate, createsuperuser).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startNginx } from '../helpers/nginx.js';
import { PYTHON_PATH, pythonHas } from '../helpers/python.js';
import { startServer } from '../helpers/server.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, signal: AbortSignal.timeout(20_000) },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** name=value of every Set-Cookie, merged into a jar. */
function remember(jar: Map<string, string>, reply: Reply): void {
  for (const cookie of reply.headers['set-cookie'] ?? []) {
    const pair = cookie.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
}

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

test('a Django project behind nginx: admin static files, CSRF login POST, a session', {
  timeout: 180_000,
  skip: pythonHas('django') ? false : 'Debian python3-django is not installed',
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-ts-django-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const py = (args: string[], cwd: string, env: Record<string, string> = {}) =>
    execFileSync('/usr/bin/python3', args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: 'pipe',
      timeout: 60_000,
    });
  py(['-m', 'django', 'startproject', 'mysite'], dir);
  const project = join(dir, 'mysite');
  const staticRoot = join(dir, 'static-root');
  appendFileSync(join(project, 'mysite', 'settings.py'), `\nSTATIC_ROOT = ${JSON.stringify(staticRoot)}\n`);
  py(['manage.py', 'migrate', '--noinput'], project);
  py(['manage.py', 'collectstatic', '--noinput'], project);
  py(
    ['manage.py', 'createsuperuser', '--noinput', '--username', 'admin', '--email', 'a@example.com'],
    project,
    {
      DJANGO_SUPERUSER_PASSWORD: 'correct horse battery',
    },
  );
  const socket = join(dir, 'django.sock');
  const server = await startServer(
    [
      '--master',
      '--processes',
      '2',
      '--socket',
      socket,
      '--chdir',
      project,
      '--module',
      'mysite.wsgi:application',
      '--static-map',
      `/static=${staticRoot}`,
    ],
    { env: { PATH: PYTHON_PATH }, timeoutMs: 60_000 },
  );
  t.after(() => server.close());
  const nginx = await startNginx({ locations: [{ path: '/', pass: 'uwsgi', upstream: `unix:${socket}` }] });
  if (!nginx) {
    t.skip('nginx is not installed');
    return;
  }
  t.after(() => nginx.close());
  const port = nginx.port;
  const jar = new Map<string, string>();

  const css = await request(port, 'GET', '/static/admin/css/base.css', {});
  assert.equal(css.status, 200);
  assert.match(String(css.headers['content-type']), /text\/css/);
  assert.match(css.body, /DJANGO Admin styles/i);

  const form = await request(port, 'GET', '/admin/login/?next=/admin/', {});
  assert.equal(form.status, 200);
  remember(jar, form);
  const token = form.body.match(/name="csrfmiddlewaretoken" value="([^"]+)"/)?.[1];
  assert.ok(token, 'the form carries a CSRF token');
  assert.ok(jar.has('csrftoken'), 'and the CSRF cookie');

  const forged = await request(
    port,
    'POST',
    '/admin/login/?next=/admin/',
    { 'content-type': 'application/x-www-form-urlencoded' },
    'username=admin&password=correct+horse+battery&next=%2Fadmin%2F',
  );
  assert.equal(forged.status, 403, 'no token: refused by the CSRF check');

  const body = new URLSearchParams({
    csrfmiddlewaretoken: token,
    username: 'admin',
    password: 'correct horse battery',
    next: '/admin/',
  }).toString();
  const login = await request(
    port,
    'POST',
    '/admin/login/?next=/admin/',
    { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
    body,
  );
  assert.equal(login.status, 302, login.body.slice(0, 400));
  assert.equal(login.headers.location, '/admin/');
  remember(jar, login);
  assert.ok(jar.has('sessionid'), 'a session was opened');

  const admin = await request(port, 'GET', '/admin/', { cookie: cookieHeader(jar) });
  assert.equal(admin.status, 200);
  assert.match(admin.body, /Site administration/);
  assert.doesNotMatch(server.log(), /Traceback/);
});
