// EXTENSION_PATH=examples/response-header.ts — a response hook that adds a header to every
// response the simulator writes, in every mode: generated, recorded, replayed, and errors too.
import type { ExtensionApi } from 'aoai-simulated-api/extension';

export const apiVersion = 1;

export function initialize(api: ExtensionApi): void {
  api.responseHooks.add((request, response) => {
    response.headers['x-simulator-extension'] = api.name;
    // Hooks see the request too: here, which path the answer belongs to.
    response.headers['x-simulator-path'] = request.path;
  });
}
