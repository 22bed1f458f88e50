// uWSGI's WebSocket echo with the JS API (websocketHandshake), for bench/websocket-echo.mjs.
import { websocketHandshake } from 'uwsgi-ts';

export default async function echo(req) {
  const ws = websocketHandshake(req);
  for (;;) {
    let msg;
    try {
      msg = await ws.recv();
    } catch {
      return;
    }
    await ws.send(msg);
  }
}
