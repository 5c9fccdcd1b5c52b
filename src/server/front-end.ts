/**
 * A front-end thread: one uWebSockets.js app listening on the shared port (Linux spreads incoming
 * connections over every thread listening with SO_REUSEPORT). Started by the cluster in main.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import uWS from 'uWebSockets.js';
import { DeploymentRegistry, defaultDeployments, parseDeploymentConfig } from '../core/deployments.js';
import { Router } from '../core/router.js';
import type { Settings } from '../core/settings.js';
import { warmUp } from '../core/warm-up.js';
import { ApiKeyAuth } from './auth.js';
import { createLog } from './log.js';
import { handleRoute, handleUnmatched, type Pipeline } from './pipeline.js';
import { PoolClient } from './pool-client.js';
import { routes } from './routes.js';

export interface FrontEndData {
  readonly index: number;
  readonly settings: Settings;
  readonly apiKey: string;
  readonly port: number;
  /** The deployment config file's text (read once by main), or undefined for the defaults. */
  readonly deploymentConfig: { readonly text: string; readonly source: string } | undefined;
  readonly poolPort: MessagePort | undefined;
}

export type FrontEndMessage = { readonly type: 'listening'; readonly port: number } | { readonly type: 'listen-failed' };

const data = workerData as FrontEndData;
const log = createLog(data.settings.logLevel, `[front-end ${data.index}] `);
const configured = data.deploymentConfig
  ? parseDeploymentConfig(data.deploymentConfig.text, data.deploymentConfig.source)
  : defaultDeployments();
const pool = data.poolPort ? new PoolClient(data.poolPort) : undefined;

const pipeline: Pipeline = {
  settings: data.settings,
  router: new Router(routes),
  auth: new ApiKeyAuth(data.apiKey),
  deployments: new DeploymentRegistry(configured, data.settings.allowUndefinedDeployments),
  pool,
  generateOptions: { answerLength: data.settings.answerLength },
  log,
};

warmUp();

const app = uWS.App();
// The route table goes into uWebSockets.js' native router; everything else falls through to `/*`.
for (const route of routes) {
  const handler = (res: uWS.HttpResponse, req: uWS.HttpRequest): void => handleRoute(pipeline, res, req, route);
  if (route.method === 'GET') app.get(route.pattern, handler);
  else app.post(route.pattern, handler);
}
app.any('/*', (res, req) => handleUnmatched(pipeline, res, req));

let listenSocket: uWS.us_listen_socket | undefined;
app.listen(data.settings.host, data.port, (socket) => {
  if (!socket) {
    parentPort!.postMessage({ type: 'listen-failed' } satisfies FrontEndMessage);
    return;
  }
  listenSocket = socket;
  parentPort!.postMessage({ type: 'listening', port: uWS.us_socket_local_port(socket) } satisfies FrontEndMessage);
});

parentPort!.on('message', (message: unknown) => {
  if (message !== 'shutdown') return;
  // Stop accepting, close every open connection, and let the thread's loop run dry: a worker
  // terminated with uWS sockets still open aborts the whole process.
  if (listenSocket) uWS.us_listen_socket_close(listenSocket);
  (app as unknown as { close(): void }).close(); // in the binary, missing from its typings
  pool?.close();
  parentPort!.close();
});
