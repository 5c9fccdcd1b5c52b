/**
 * A front-end thread: one uWebSockets.js app listening on the shared port (Linux spreads incoming
 * connections over every thread listening with SO_REUSEPORT). Started by the cluster in main.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import uWS from 'uWebSockets.js';
import { DeploymentRegistry, deploymentsFrom } from '../core/config/deployments.js';
import { Router } from '../core/wire/router.js';
import { useRankTables } from '../core/tokens/tokenizer.js';
import { warmUp } from '../core/generation/warm-up.js';
import { ApiKeyAuth } from './http/auth.js';
import { createLog } from '../log.js';
import { errors } from '../core/errors.js';
import { DeploymentLimiter, type LimitSpec } from '../core/limits/rate-limits.js';
import { entryOf, type ReplayEntry } from '../core/recording/recording-file.js';
import { dispatch, type FrontEndData, type FrontEndMessage, type Handlers, type MainMessage, type PreparedExtension } from '../protocol/messages.js';
import { applyConfigPatch, configJson, ConfigPatchError, type RuntimeConfig } from '../core/config/runtime-config.js';
import { readBody } from './http/body.js';
import { exchange, fault, handleRoute, handleUnmatched, reject, type Pipeline } from './pipeline/pipeline.js';
import { handleRecordReplay, type RecordReplay } from './pipeline/record-replay.js';
import { sendError, sendJson } from './http/respond.js';
import { PoolClient } from './pool-client.js';
import type { Exchange } from './http/exchange.js';
import { Asks, MAIN } from '../protocol/ask.js';
import { Scheduler } from './scheduler.js';
import { ThreadStats } from '../protocol/stats.js';
import { apiRoutes, healthRoute, routes } from '../core/wire/routes.js';
import { deploymentLimiter } from './extensions/api-object.js';
import { loadExtension } from './extensions/runtime.js';

const data = workerData as FrontEndData;
const log = createLog(data.settings.logLevel, `[front-end ${data.index}] `);
const pool = data.poolPort ? new PoolClient(data.poolPort) : undefined;

function limitersFrom(specs: Readonly<Record<string, LimitSpec>>): Map<string, DeploymentLimiter> {
  return new Map(Object.entries(specs).map(([name, spec]) => [name, new DeploymentLimiter(spec)]));
}

const threadStats = new ThreadStats();
/** Main answers within its own wait for every thread (process/handlers.ts, 10 s) plus a margin. */
const MAIN_ANSWER_TIMEOUT_MS = 15_000;
const stats = new Asks<string>(MAIN_ANSWER_TIMEOUT_MS);

/** What `PATCH /++/config` may change; main sends every new version to every thread. */
let runtime: RuntimeConfig = data.runtime;

const pipeline: Pipeline = {
  settings: data.settings,
  router: new Router(routes),
  auth: new ApiKeyAuth(data.apiKey),
  deployments: new DeploymentRegistry(deploymentsFrom(data.runtime.deployments), data.runtime.allowUndefinedDeployments),
  pool,
  scheduler: new Scheduler(
    (err) => log.error(`scheduled write failed: ${(err as Error)?.stack ?? String(err)}`),
    (ms) => threadStats.recordLateness(ms),
  ),
  recordOverhead: (ms) => threadStats.recordOverhead(ms),
  latency: () => runtime.latency,
  limiters: limitersFrom(data.limits),
  generateOptions: { answerLength: data.settings.answerLength },
  log,
  ext: undefined,
};

const post = (message: FrontEndMessage): void => parentPort!.postMessage(message);
const index = new Map<string, ReplayEntry>(data.replayEntries.map((e) => [e.key, e]));
const recordReplay: RecordReplay = {
  settings: data.settings,
  auth: pipeline.auth,
  log,
  index,
  limiters: pipeline.limiters,
  scheduler: pipeline.scheduler,
  recordOverhead: pipeline.recordOverhead,
  recorded: (file, interaction) => {
    const entry = entryOf(interaction, `recorded ${file}`, file);
    index.set(entry.key, entry);
    post({ type: 'recorded', file, interaction });
  },
  ext: undefined,
};

const saves = new Asks<{ files: number; error: string | undefined }>(MAIN_ANSWER_TIMEOUT_MS);
const patches = new Asks<string | undefined>(MAIN_ANSWER_TIMEOUT_MS);

/** The management routes' common start: the exchange, or a 401 and undefined. */
function authorized(res: uWS.HttpResponse, req: uWS.HttpRequest): Exchange | undefined {
  const ex = exchange(res, req);
  if (pipeline.auth.check(ex.headers)) return ex;
  reject(ex, errors.unauthorized());
  return undefined;
}

if (data.rankTables) useRankTables(data.rankTables);
warmUp();

/** Loads the extension into this thread; false (and main told why) when it cannot be. */
async function loadTheExtension(prepared: PreparedExtension): Promise<boolean> {
  // A bundled TypeScript extension carries an inline source map: its stack traces (logged when it
  // fails a request) then point at the author's .ts lines, not the temporary bundle's.
  if (prepared.url !== pathToFileURL(prepared.source).href) process.setSourceMapsEnabled(true);
  try {
    pipeline.ext = recordReplay.ext = await loadExtension(prepared.url, prepared.name, {
      mode: data.settings.mode,
      apiKey: data.apiKey,
      auth: pipeline.auth,
      log,
      deployments: () => pipeline.deployments,
      deploymentLimiter: deploymentLimiter(() => pipeline.limiters),
      windowPort: data.windowPort,
    });
    return true;
  } catch (err) {
    post({ type: 'extension-failed', message: `EXTENSION_PATH: extension ${prepared.name} (${prepared.source}): ${(err as Error)?.message ?? String(err)}` });
    return false;
  }
}
const extensionLoaded = data.extension ? await loadTheExtension(data.extension) : true;

const app = uWS.App();
app.get(healthRoute.pattern, (res, req) => handleRoute(pipeline, res, req, healthRoute));
app.post('/++/save-recordings', (res, req) => {
  const ex = authorized(res, req);
  if (!ex) return;
  res.onData(() => {}); // the body, if any, is not used
  if (data.settings.mode !== 'record') return sendError(ex, errors.notRecording());
  const id = saves.ask([MAIN], (outcome) => {
    if (!outcome.ok) return sendError(ex, errors.unavailable(outcome.reason));
    const { files, error } = outcome.answers[0]!;
    if (error) sendError(ex, errors.internal(`saving recordings failed: ${error}`));
    else sendJson(ex, 200, JSON.stringify({ message: '📼 Recordings saved', files }));
  });
  post({ type: 'save', id });
});
app.get('/++/config', (res, req) => {
  const ex = authorized(res, req);
  if (ex) sendJson(ex, 200, configJson(runtime, pipeline.deployments.configured));
});
app.get('/++/stats', (res, req) => {
  const ex = authorized(res, req);
  if (!ex) return;
  const id = stats.ask([MAIN], (outcome) => (outcome.ok ? sendJson(ex, 200, outcome.answers[0]!) : sendError(ex, errors.unavailable(outcome.reason))));
  post({ type: 'stats-request', id, reset: new URLSearchParams(ex.query).get('reset') === 'true' });
});
app.patch('/++/config', (res, req) => {
  const ex = authorized(res, req);
  if (!ex) return;
  readBody(ex, data.settings.maxBodyBytes, (result) => {
    try {
      if (result.kind === 'too-large') return sendError(ex, errors.bodyTooLarge(data.settings.maxBodyBytes), true);
      let patch: unknown;
      try {
        patch = JSON.parse(result.text);
      } catch {
        return sendError(ex, errors.invalidJson());
      }
      applyConfigPatch(runtime, patch); // a bad value is refused here, before any thread changes
      const id = patches.ask([MAIN], (outcome) => {
        if (!outcome.ok) return sendError(ex, errors.unavailable(outcome.reason));
        const error = outcome.answers[0];
        if (error) sendError(ex, errors.badConfigPatch(error));
        else sendJson(ex, 200, configJson(runtime, pipeline.deployments.configured));
      });
      post({ type: 'config-patch', id, patch });
    } catch (err) {
      if (err instanceof ConfigPatchError) return sendError(ex, errors.badConfigPatch(err.message));
      fault(pipeline, ex, err);
    }
  });
});
if (data.settings.mode === 'generate') {
  // The route table goes into uWebSockets.js' native router; everything else falls through to `/*`.
  for (const route of apiRoutes) app.post(route.pattern, (res, req) => handleRoute(pipeline, res, req, route));
  app.any('/*', (res, req) => handleUnmatched(pipeline, res, req));
} else {
  app.any('/*', (res, req) => handleRecordReplay(recordReplay, res, req));
}

let listenSocket: uWS.us_listen_socket | undefined;
// A thread whose extension failed does not listen: main stops the start with the message.
if (extensionLoaded) app.listen(data.settings.host, data.port, (socket) => {
  if (!socket) {
    post({ type: 'listen-failed' });
    return;
  }
  listenSocket = socket;
  post({ type: 'listening', port: uWS.us_socket_local_port(socket) });
});

/** Stop accepting, close every open connection, and let the thread's loop run dry: a worker
 * terminated with uWS sockets still open aborts the whole process. */
function shutdown(): void {
  if (listenSocket) uWS.us_listen_socket_close(listenSocket);
  (app as unknown as { close(): void }).close(); // in the binary, missing from its typings
  pool?.close();
  stats.close('the thread is shutting down');
  saves.close('the thread is shutting down');
  patches.close('the thread is shutting down');
  parentPort!.close();
}

/**
 * Test hook, off unless SIMULATOR_TEST_EXIT_ON_FOREIGN_CONFIG=1 (test/e2e/thread-exit.test.ts): a
 * thread that receives a configuration change it did not ask for shuts down instead of applying
 * it, so a test can make a thread exit while main waits for every thread during a PATCH.
 */
const EXIT_ON_FOREIGN_CONFIG = process.env.SIMULATOR_TEST_EXIT_ON_FOREIGN_CONFIG === '1';

/** Main's messages, one handler each (the compiler refuses a missing one). */
const onMain = {
  config: (message) => {
    if (EXIT_ON_FOREIGN_CONFIG && patches.pending === 0) return shutdown();
    runtime = message.config;
    pipeline.deployments = new DeploymentRegistry(deploymentsFrom(runtime.deployments), runtime.allowUndefinedDeployments);
    pipeline.limiters = recordReplay.limiters = limitersFrom(message.limits);
    post({ type: 'config-applied', version: message.version });
  },
  stats: (message) => post({ type: 'stats-snapshot', id: message.id, snapshot: threadStats.snapshot(message.reset) }),
  flush: (message) => post({ type: 'flushed', id: message.id }),
  'stats-result': (message) => (message.unavailable !== undefined ? stats.fail(message.id, message.unavailable) : stats.answer(message.id, MAIN, message.json)),
  'config-patched': (message) =>
    message.unavailable !== undefined ? patches.fail(message.id, message.unavailable) : patches.answer(message.id, MAIN, message.error),
  'replay-entry': (message) => {
    index.set(message.entry.key, message.entry);
  },
  saved: (message) =>
    message.unavailable !== undefined ? saves.fail(message.id, message.unavailable) : saves.answer(message.id, MAIN, { files: message.files, error: message.error }),
  shutdown,
} satisfies Handlers<MainMessage>;

parentPort!.on('message', (message: MainMessage) => {
  try {
    dispatch(onMain, message, undefined);
  } catch (err) {
    log.error(`handling main's "${message.type}" message failed: ${(err as Error)?.stack ?? String(err)}`);
  }
});
