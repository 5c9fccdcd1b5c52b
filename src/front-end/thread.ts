/**
 * A front-end thread: one uWebSockets.js app listening on the shared port (Linux spreads incoming
 * connections over every thread listening with SO_REUSEPORT). Started by the cluster in main.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import uWS from 'uWebSockets.js';
import { DeploymentRegistry, deploymentsFrom } from '../core/config/deployments.js';
import { Router } from '../core/wire/router.js';
import type { Settings } from '../core/config/settings.js';
import { useRankTables, type RankTables } from '../core/tokens/tokenizer.js';
import { warmUp } from '../core/generation/warm-up.js';
import type { AgentPolicy } from '../core/generation/agent-policy.js';
import { ApiKeyAuth } from './http/auth.js';
import { createLog } from '../log.js';
import { errors } from '../core/errors.js';
import { DeploymentLimiter, type LimitSpec } from '../core/limits/rate-limits.js';
import { entryOf, type ReplayEntry } from '../core/recording/recording-file.js';
import { useBodyMatching } from '../core/recording/recording-key.js';
import type { FrontEndMessage, MainMessage } from '../protocol/messages.js';
import { applyConfigPatch, configJson, ConfigPatchError, type RuntimeConfig } from '../core/config/runtime-config.js';
import { readBody } from './http/body.js';
import { exchange, fault, handleRoute, handleUnmatched, reject, type Pipeline } from './pipeline/pipeline.js';
import { handleRecordReplay, type RecordReplay } from './pipeline/record-replay.js';
import { sendError, sendJson } from './http/respond.js';
import { PoolClient } from './pool-client.js';
import type { Exchange } from './http/exchange.js';
import { Replies } from '../protocol/replies.js';
import { Scheduler } from './scheduler.js';
import { ThreadStats } from '../protocol/stats.js';
import { apiRoutes, healthRoute, imageFileRoute, listingRoutes, routes } from '../core/wire/routes.js';
import type { PreparedExtension } from '../process/extension-load.js';
import { deploymentLimiter } from './extensions/api-object.js';
import { loadExtension } from './extensions/runtime.js';

export interface FrontEndData {
  readonly index: number;
  /** The runtime configuration in force when the thread starts (a restarted thread gets the latest). */
  readonly runtime: RuntimeConfig;
  /** Window memory per rate-limited deployment, shared with every thread. */
  readonly limits: Readonly<Record<string, LimitSpec>>;
  /** Record and replay modes: every recording found at start. */
  readonly replayEntries: readonly ReplayEntry[];
  readonly settings: Settings;
  readonly apiKey: string;
  readonly port: number;
  readonly poolPort: MessagePort | undefined;
  /** `TIKTOKEN_CACHE_DIR`'s tables, read and verified by main; undefined: the bundled ones. */
  readonly rankTables: RankTables | undefined;
  /** EXTENSION_PATH's module, prepared (TypeScript bundled) by main. */
  readonly extension: PreparedExtension | undefined;
  /** Extensions: asks main for rate-limit windows shared by every thread. */
  readonly windowPort: MessagePort | undefined;
}


const data = workerData as FrontEndData;
const log = createLog(data.settings.logLevel, `[front-end ${data.index}] `);
const pool = data.poolPort ? new PoolClient(data.poolPort) : undefined;

function limitersFrom(specs: Readonly<Record<string, LimitSpec>>): Map<string, DeploymentLimiter> {
  return new Map(Object.entries(specs).map(([name, spec]) => [name, new DeploymentLimiter(spec)]));
}

const threadStats = new ThreadStats();
const stats = new Replies<string>();

/** What `PATCH /++/config` may change; main sends every new version to every thread. */
let runtime: RuntimeConfig = data.runtime;

const pipeline: Pipeline = {
  settings: data.settings,
  router: new Router(routes),
  auth: new ApiKeyAuth(data.apiKey, data.settings.entra),
  deployments: new DeploymentRegistry(deploymentsFrom(data.runtime.deployments), data.runtime.allowUndefinedDeployments),
  pool,
  scheduler: new Scheduler(
    (err) => log.error(`scheduled write failed: ${(err as Error)?.stack ?? String(err)}`),
    (ms) => threadStats.recordLateness(ms),
  ),
  recordOverhead: (ms) => threadStats.recordOverhead(ms),
  latency: () => runtime.latency,
  limiters: limitersFrom(data.limits),
  generateOptions: { answerLength: data.settings.answerLength, agent: agentPolicy(data.runtime) },
  log,
  ext: undefined,
};

/** The tool / structured-output policy in force (`/++/config`'s `agent`, else the settings'). */
function agentPolicy(config: RuntimeConfig): AgentPolicy {
  return config.agent ?? data.settings.agent;
}

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

const saves = new Replies<{ files: number; error: string | undefined }>();
const patches = new Replies<string | undefined>();

/** The management routes' common start: the exchange, or a 401 and undefined. */
function authorized(res: uWS.HttpResponse, req: uWS.HttpRequest): Exchange | undefined {
  const ex = exchange(res, req);
  if (pipeline.auth.check(ex.headers)) return ex;
  reject(ex, pipeline.auth.rejection(ex.headers));
  return undefined;
}

if (data.rankTables) useRankTables(data.rankTables);
useBodyMatching(data.settings.recordingIgnoreBodyFields);
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
  const id = saves.expect(({ files, error }) =>
    error ? sendError(ex, errors.internal(`saving recordings failed: ${error}`)) : sendJson(ex, 200, JSON.stringify({ message: '📼 Recordings saved', files })),
  );
  post({ type: 'save', id });
});
app.get('/++/config', (res, req) => {
  const ex = authorized(res, req);
  if (ex) sendJson(ex, 200, configJson(runtime, pipeline.deployments.configured));
});
app.get('/++/stats', (res, req) => {
  const ex = authorized(res, req);
  if (!ex) return;
  const id = stats.expect((json) => sendJson(ex, 200, json));
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
      const id = patches.expect((error) =>
        error ? sendError(ex, errors.badConfigPatch(error)) : sendJson(ex, 200, configJson(runtime, pipeline.deployments.configured)),
      );
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
  for (const route of [...listingRoutes, imageFileRoute]) app.get(route.pattern, (res, req) => handleRoute(pipeline, res, req, route));
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

parentPort!.on('message', (message: MainMessage) => {
  if (message.type === 'config') {
    runtime = message.config;
    pipeline.deployments = new DeploymentRegistry(deploymentsFrom(runtime.deployments), runtime.allowUndefinedDeployments);
    pipeline.limiters = recordReplay.limiters = limitersFrom(message.limits);
    pipeline.generateOptions = { ...pipeline.generateOptions, agent: agentPolicy(runtime) };
    post({ type: 'config-applied', version: message.version });
    return;
  }
  if (message.type === 'stats') {
    post({ type: 'stats-snapshot', id: message.id, snapshot: threadStats.snapshot(message.reset) });
    return;
  }
  if (message.type === 'flush') {
    post({ type: 'flushed', id: message.id });
    return;
  }
  if (message.type === 'stats-result') {
    stats.settle(message.id, message.json);
    return;
  }
  if (message.type === 'config-patched') {
    patches.settle(message.id, message.error);
    return;
  }
  if (message.type === 'replay-entry') {
    index.set(message.entry.key, message.entry);
    return;
  }
  if (message.type === 'saved') {
    saves.settle(message.id, { files: message.files, error: message.error });
    return;
  }
  // Stop accepting, close every open connection, and let the thread's loop run dry: a worker
  // terminated with uWS sockets still open aborts the whole process.
  if (listenSocket) uWS.us_listen_socket_close(listenSocket);
  (app as unknown as { close(): void }).close(); // in the binary, missing from its typings
  pool?.close();
  parentPort!.close();
});
