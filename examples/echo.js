// EXTENSION_PATH=examples/echo.js — a route the simulator does not know: POST /echo answers
// "Echo: <request body>" to a client with the simulator's key (as the Python simulator's
// generator_echo example). Plain JavaScript: no types, no build.

/** @param {import('aoai-simulated-api/extension').ExtensionApi} api */
export function initialize(api) {
  const echo = api.route('POST', '/echo');
  api.generators.add(
    (request) => {
      if (!echo(request)) return undefined; // not ours: the next generator decides
      if (!api.isAuthorized(request)) return api.errors.unauthorized();
      return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `Echo: ${request.text()}` };
    },
    { name: 'echo' },
  );
}
