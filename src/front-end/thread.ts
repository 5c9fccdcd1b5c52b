/**
 * A front-end thread: one uWebSockets.js app listening on the shared port (Linux spreads incoming
 * connections over every thread listening with SO_REUSEPORT). Started by the cluster in main.
 * Boot order: the thread context (context.ts), the extension (loaded, then frozen), the routes —
 * each registered once with the handler chosen for this mode and extension, so no request tests
 * which path it should take — then listen.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Settings } from '../core/config/settings.js';
import { configSnapshot } from '../core/config/snapshot.js';
import { useRankTables, type RankTables } from '../core/tokens/tokenizer.js';
import { warmUp } from '../core/generation/warm-up.js';
import { createLog } from '../log.js';
import type { LimitSpec } from '../core/limits/rate-limits.js';
import type { ReplayEntry } from '../core/recording/recording-file.js';
import type { FrontEndMessage, MainMessage } from '../protocol/messages.js';
import type { RuntimeConfig } from '../core/config/runtime-config.js';
import { PoolClient } from './pool-client.js';
import { Replies } from '../protocol/replies.js';
import { apiRoutes, healthRoute } from '../core/wire/routes.js';
import type { PreparedExtension } from '../process/extension-load.js';
import { loadExtension, type ExtensionRuntime } from './extensions/runtime.js';
import { handleExtended, handleRecordReplayExtended, handleWatched } from './extensions/stages.js';
import { createThreadContext } from './context.js';
import { registerAdmin } from './admin.js';
import { HttpServer } from './http/server.js';
import { handleRecordReplay, handleRoute, handleUnmatched } from './pipeline/spine.js';

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
const post = (message: FrontEndMessage): void => parentPort!.postMessage(message);

const ctx = createThreadContext({
  settings: data.settings,
  apiKey: data.apiKey,
  log,
  pool,
  config: configSnapshot(data.runtime, data.limits),
  replayEntries: data.replayEntries,
  windowPort: data.windowPort,
  post: (file, interaction) => post({ type: 'recorded', file, interaction }),
});

const stats = new Replies<string>();
const saves = new Replies<{ files: number; error: string | undefined }>();
const patches = new Replies<string | undefined>();

if (data.rankTables) useRankTables(data.rankTables);
warmUp();

/** Loads the extension into this thread; undefined (and main told why) when it cannot be. */
async function loadTheExtension(prepared: PreparedExtension): Promise<ExtensionRuntime | undefined> {
  // A bundled TypeScript extension carries an inline source map: its stack traces (logged when it
  // fails a request) then point at the author's .ts lines, not the temporary bundle's.
  if (prepared.url !== pathToFileURL(prepared.source).href) process.setSourceMapsEnabled(true);
  try {
    return await loadExtension(prepared.url, prepared.name, ctx);
  } catch (err) {
    post({ type: 'extension-failed', message: `EXTENSION_PATH: extension ${prepared.name} (${prepared.source}): ${(err as Error)?.message ?? String(err)}` });
    return undefined;
  }
}
const ext = data.extension ? await loadTheExtension(data.extension) : undefined;
const extensionLoaded = data.extension === undefined || ext !== undefined;
if (ext) ctx.stages = ext.stages();

const server = new HttpServer(ctx);
registerAdmin(server, ctx, { stats, saves, patches }, post);
if (data.settings.mode === 'generate') {
  // The route table goes into uWebSockets.js' native router; everything else falls through to `/*`.
  // The handler is chosen here, once: plain, watched (response or latency hooks only) or extended.
  if (!ext) {
    server.on('get', healthRoute.pattern, (ex, req) => handleRoute(ctx, ex, req, healthRoute));
    for (const route of apiRoutes) server.on('post', route.pattern, (ex, req) => handleRoute(ctx, ex, req, route));
    server.on('any', '/*', (ex) => handleUnmatched(ctx, ex));
  } else if (ext.routesAsBuiltIn) {
    server.on('get', healthRoute.pattern, (ex, req) => handleRoute(ctx, ex, req, healthRoute));
    for (const route of apiRoutes) server.on('post', route.pattern, (ex, req) => handleWatched(ctx, ext, ex, req, route));
    server.on('any', '/*', (ex, req) => handleExtended(ctx, ext, ex, req));
  } else {
    server.on('get', healthRoute.pattern, (ex, req) => handleExtended(ctx, ext, ex, req));
    server.on('any', '/*', (ex, req) => handleExtended(ctx, ext, ex, req));
  }
} else if (!ext) {
  server.on('get', healthRoute.pattern, (ex, req) => handleRoute(ctx, ex, req, healthRoute));
  server.on('any', '/*', (ex, req) => handleRecordReplay(ctx, ex, req));
} else {
  server.on('get', healthRoute.pattern, (ex, req) => handleExtended(ctx, ext, ex, req));
  server.on('any', '/*', (ex, req) => handleRecordReplayExtended(ctx, ext, ex, req));
}

// A thread whose extension failed does not listen: main stops the start with the message.
if (extensionLoaded) server.listen(data.settings.host, data.port, (port) => post(port === undefined ? { type: 'listen-failed' } : { type: 'listening', port }));

parentPort!.on('message', (message: MainMessage) => {
  if (message.type === 'config') {
    ctx.config = configSnapshot(message.config, message.limits);
    post({ type: 'config-applied', version: message.version });
    return;
  }
  if (message.type === 'stats') {
    post({ type: 'stats-snapshot', id: message.id, snapshot: ctx.stats.snapshot(message.reset) });
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
    ctx.index.set(message.entry.key, message.entry);
    return;
  }
  if (message.type === 'saved') {
    saves.settle(message.id, { files: message.files, error: message.error });
    return;
  }
  // Stop accepting, close every open connection, and let the thread's loop run dry: a worker
  // terminated with uWS sockets still open aborts the whole process.
  server.close();
  pool?.close();
  parentPort!.close();
});
