// The smallest uwsgi-ts app: a fetch handler (the server that runs it arrives in step 2).
export default function application(_request: Request): Response {
  return new Response('Hello World', { headers: { 'content-type': 'text/plain' } });
}
