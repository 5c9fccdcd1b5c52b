/**
 * The server half of the router benchmark: one uWebSockets.js app with the simulator's route
 * table registered twice — natively on one port, and as one `/*` handler that asks
 * src/core/wire/router.ts on another — each answering the same canned body after reading the
 * request body. Usage: node router-server.js <native port> <js port>.
 */
import uWS from 'uWebSockets.js';
import { Router } from '../../src/core/wire/router.js';
import { apiRoutes, type Route } from '../../src/core/wire/routes.js';

const [nativePort, jsPort] = process.argv.slice(2).map(Number);
const BODY = '{"ok":true}';

/** Reads the body, then answers: the same work after routing on both ports. */
function answer(res: uWS.HttpResponse, param: string): void {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  res.onData((_chunk, last) => {
    if (last && !aborted) res.cork(() => res.writeHeader('x-deployment', param).end(BODY));
  });
}

const native = uWS.App();
for (const route of apiRoutes) native.post(route.pattern, (res, req) => answer(res, req.getParameter(0) ?? ''));
native.listen('127.0.0.1', nativePort!, (s) => {
  if (!s) process.exit(1);
});

const router = new Router<Route>(apiRoutes);
const js = uWS.App();
js.any('/*', (res, req) => {
  const found = router.match(req.getCaseSensitiveMethod().toUpperCase(), req.getUrl());
  if (found.kind !== 'match') return void res.cork(() => res.writeStatus('404 Not Found').end());
  answer(res, found.match.params.deployment ?? '');
});
js.listen('127.0.0.1', jsPort!, (s) => {
  if (!s) process.exit(1);
  process.stdout.write('listening on both ports\n');
});
