// The smallest uwsgi-ts app: a fetch handler, loaded as TypeScript without a build step.
export default function application(_request: Request): Response {
  return new Response('Hello World', { headers: { 'content-type': 'text/plain' } });
}
