/**
 * A front-end thread: one uWebSockets.js app listening on the shared port (Linux spreads incoming
 * connections over every thread listening with SO_REUSEPORT). Started by the cluster in main.
 * Boot order: the thread context (context.ts), the extension (loaded, then frozen), the routes —
 * each registered once with the handler chosen for this mode and extension, so no request tests
 * which path it should take — then listen.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { configSnapshot } from '../core/config/snapshot.js';
import { useRankTables } from '../core/tokens/tokenizer.js';
import { warmUp } from '../core/generation/warm-up.js';
import { useLoremCorpora } from '../core/generation/lorem.js';
import { useBodyMatching } from '../core/recording/recording-key.js';
import { createLog } from '../log.js';
import { dispatch, type FrontEndData, type FrontEndMessage, type Handlers, type MainMessage, type PreparedExtension } from '../protocol/messages.js';
import { PoolClient } from './pool-client.js';
import { ThreadResponseStore } from './responses-store.js';
import type { ThreadState } from '../state/thread-state.js';
import { Asks, MAIN } from '../protocol/ask.js';
import { apiRoutes, getRoutes, healthRoute, storedResponseRoutes } from '../core/wire/routes.js';
import { loadExtension, type ExtensionRuntime } from './extensions/runtime.js';
import { handleExtended, handleRecordReplayExtended, handleWatched } from './extensions/stages.js';
import { createThreadContext, generateBase } from './context.js';
import { registerAdmin } from './admin.js';
import { HttpServer } from './http/server.js';
import { handleRecordReplay, handleRoute, handleUnmatched } from './pipeline/spine.js';

const data = workerData as FrontEndData;
const log = createLog(data.settings.logLevel, `[front-end ${data.index}] `);
const pool = data.poolPort ? new PoolClient(data.poolPort) : undefined;
const post = (message: FrontEndMessage): void => parentPort!.postMessage(message);
/**
 * Several replicas on Redis: the thread's one connection, and on it the shared windows, the fault
 * scopes' cursors (schedules and seeded draws hold across replicas) and the stored responses.
 * Imported only then: an embedded simulator's threads never load node-redis (memory, per thread).
 */
const shared: ThreadState | undefined = data.shared
  ? (await import('../state/thread-state.js')).threadState({ ...data.shared, responsesBudgetBytes: data.settings.responses.storeBytes }, log)
  : undefined;
const remote = shared?.windows;
const sequencesOf = shared?.sequencesOf;

/**
 * Several replicas: stored responses in Redis, on the thread's connection. One process: each
 * thread owns the records it made and asks the owner of any other (responses-store.ts).
 */
const responses = shared?.responses ?? new ThreadResponseStore(data.index, data.settings.frontEndThreads, data.settings.responses.storeBytes);
const owned = responses instanceof ThreadResponseStore ? responses : undefined;
data.storePeers.forEach((port, peer) => port && owned?.connect(peer, port));

/** The settings' part of every snapshot's generator options (the runtime adds its agent policy). */
const base = generateBase(data.settings);
const ctx = createThreadContext({
  responses,
  remote,
  thread: data.index,
  settings: data.settings,
  apiKey: data.apiKey,
  log,
  pool,
  config: configSnapshot(data.runtime, data.limits, base, remote, sequencesOf),
  replayEntries: data.replayEntries,
  windowPort: data.windowPort,
  post: (file, interaction) => post({ type: 'recorded', file, interaction }),
});

/** Main answers within its own wait for every thread (process/handlers.ts, 10 s) plus a margin. */
const MAIN_ANSWER_TIMEOUT_MS = 15_000;
const stats = new Asks<string>(MAIN_ANSWER_TIMEOUT_MS);
const saves = new Asks<{ files: number; error: string | undefined }>(MAIN_ANSWER_TIMEOUT_MS);
const patches = new Asks<string | undefined>(MAIN_ANSWER_TIMEOUT_MS);
const metrics = new Asks<string>(MAIN_ANSWER_TIMEOUT_MS);

if (data.rankTables) useRankTables(data.rankTables);
if (data.lorem) useLoremCorpora(data.lorem);
useBodyMatching(data.settings.recordingIgnoreBodyFields);
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
// Connected before listening (2 s at most), so the first requests are the store's to decide.
await shared?.connect(2_000);
const ext = data.extension ? await loadTheExtension(data.extension) : undefined;
const extensionLoaded = data.extension === undefined || ext !== undefined;
if (ext) ctx.stages = ext.stages();

const server = new HttpServer(ctx);
const METHOD = { GET: 'get', POST: 'post', DELETE: 'del' } as const;
registerAdmin(server, ctx, { stats, saves, patches, metrics }, post);
if (data.settings.mode === 'generate') {
  // The route table goes into uWebSockets.js' native router; everything else falls through to `/*`.
  // The handler is chosen here, once: plain, watched (response or latency hooks only) or extended.
  if (!ext) {
    server.on('get', healthRoute.pattern, (ex, req) => handleRoute(ctx, ex, req, healthRoute));
    for (const route of getRoutes) server.on('get', route.pattern, (ex, req) => handleRoute(ctx, ex, req, route));
    for (const route of apiRoutes) server.on('post', route.pattern, (ex, req) => handleRoute(ctx, ex, req, route));
    for (const route of storedResponseRoutes) server.on(METHOD[route.method], route.pattern, (ex, req) => handleRoute(ctx, ex, req, route));
    server.on('any', '/*', (ex) => handleUnmatched(ctx, ex));
  } else if (ext.routesAsBuiltIn) {
    server.on('get', healthRoute.pattern, (ex, req) => handleRoute(ctx, ex, req, healthRoute));
    for (const route of getRoutes) server.on('get', route.pattern, (ex, req) => handleWatched(ctx, ext, ex, req, route));
    for (const route of apiRoutes) server.on('post', route.pattern, (ex, req) => handleWatched(ctx, ext, ex, req, route));
    for (const route of storedResponseRoutes) server.on(METHOD[route.method], route.pattern, (ex, req) => handleWatched(ctx, ext, ex, req, route));
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

/** Stop accepting, close every open connection, and let the thread's loop run dry: a worker
 * terminated with uWS sockets still open aborts the whole process. */
function shutdown(): void {
  server.close();
  pool?.close();
  stats.close('the thread is shutting down');
  saves.close('the thread is shutting down');
  patches.close('the thread is shutting down');
  owned?.close();
  metrics.close('the thread is shutting down');
  void shared?.close();
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
    ctx.config = configSnapshot(message.config, message.limits, base, remote, sequencesOf);
    post({ type: 'config-applied', version: message.version });
  },
  stats: (message) => post({ type: 'stats-snapshot', id: message.id, snapshot: ctx.stats.snapshot(message.reset) }),
  flush: (message) => post({ type: 'flushed', id: message.id }),
  metrics: (message) => post({ type: 'metrics-snapshot', id: message.id, snapshot: ctx.metrics?.snapshot() ?? [] }),
  'metrics-result': (message) => (message.unavailable !== undefined ? metrics.fail(message.id, message.unavailable) : metrics.answer(message.id, MAIN, message.text)),
  'stats-result': (message) => (message.unavailable !== undefined ? stats.fail(message.id, message.unavailable) : stats.answer(message.id, MAIN, message.json)),
  'config-patched': (message) =>
    message.unavailable !== undefined ? patches.fail(message.id, message.unavailable) : patches.answer(message.id, MAIN, message.error),
  'replay-entry': (message) => {
    ctx.index.set(message.entry.key, message.entry);
  },
  saved: (message) =>
    message.unavailable !== undefined ? saves.fail(message.id, message.unavailable) : saves.answer(message.id, MAIN, { files: message.files, error: message.error }),
  'store-peer': (message) => owned?.connect(message.index, message.port),
  shutdown,
} satisfies Handlers<MainMessage>;

parentPort!.on('message', (message: MainMessage) => {
  try {
    dispatch(onMain, message, undefined);
  } catch (err) {
    log.error(`handling main's "${message.type}" message failed: ${(err as Error)?.stack ?? String(err)}`);
  }
});
