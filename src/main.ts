#!/usr/bin/env node
/**
 * Starts the simulator: settings from the environment (and `.env`), the deployment config, the
 * API key, then the cluster of front-end threads (their messages are answered by
 * process/handlers.ts). Configuration mistakes end the start with one clear line, never a stack
 * trace.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { DeploymentConfigError, defaultDeployments, deploymentSettings, parseDeploymentConfig, type Deployment } from './core/config/deployments.js';
import { limitSpecsFor, limitSpecsForWindows, windowIdsAfterChange } from './core/limits/windows.js';
import type { RuntimeConfig } from './core/config/runtime-config.js';
import { randomId } from './core/ids.js';
import { parseSettings, type Settings } from './core/config/settings.js';
import { useBodyMatching } from './core/recording/recording-key.js';
import { SimulatorError, StartupError } from './core/errors.js';
import { Cluster } from './process/cluster.js';
import { dispatch } from './protocol/messages.js';
import { MainMetrics } from './process/metrics.js';
import { mainHandlers, newWindowId, type MainState, type SharedState, type Threads } from './process/handlers.js';
import { loadRecordings, Recorder } from './process/recordings.js';
import { loadEnvFile } from './process/env-file.js';
import { createLog } from './log.js';
import { FaultConfigError, parseFaultConfig, type FaultConfig } from './core/faults/config.js';
import { processRankTables } from './process/tiktoken-cache.js';
import { processLoremCorpora } from './process/lorem-corpora.js';
import { prepareExtension } from './process/extension-load.js';
import { uwsProblem } from 'uWebSockets.js/build';

interface DeploymentConfig {
  readonly text: string;
  readonly source: string;
  readonly deployments: Map<string, Deployment>;
}

/** Reads and validates the deployment file once here, so a mistake stops the start. */
function readDeploymentConfig(settings: Settings): DeploymentConfig | undefined {
  if (!settings.deploymentConfigPath) return undefined;
  const source = resolve(settings.deploymentConfigPath);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new DeploymentConfigError(`OPENAI_DEPLOYMENT_CONFIG_PATH: cannot read ${source} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return { text, source, deployments: parseDeploymentConfig(text, source) };
}

/** The fault configuration at start (SIMULATOR_FAULTS or SIMULATOR_FAULTS_FILE): a mistake stops the start. */
function readFaultConfig(settings: Settings): FaultConfig | null {
  if (settings.faults !== undefined && settings.faultsFile !== undefined) throw new FaultConfigError('set SIMULATOR_FAULTS or SIMULATOR_FAULTS_FILE, not both');
  let text = settings.faults;
  let at = 'SIMULATOR_FAULTS';
  if (settings.faultsFile !== undefined) {
    const source = resolve(settings.faultsFile);
    at = `SIMULATOR_FAULTS_FILE (${source})`;
    try {
      text = readFileSync(source, 'utf8');
    } catch (err) {
      throw new FaultConfigError(`SIMULATOR_FAULTS_FILE: cannot read ${source} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  let value: unknown = null;
  if (text !== undefined) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new FaultConfigError(`${at} must be JSON: ${(err as Error).message}`);
    }
  }
  return parseFaultConfig(value, at, settings.faultHeaders);
}

async function main(): Promise<void> {
  // Which uWebSockets.js build loads on this Node.js and C library (packages/uWebSockets.js).
  const uwsUnavailable = uwsProblem();
  if (uwsUnavailable) throw new StartupError(uwsUnavailable);
  loadEnvFile();
  const settings = parseSettings(process.env, availableParallelism());
  useBodyMatching(settings.recordingIgnoreBodyFields); // before the recordings are indexed
  const log = createLog(settings.logLevel);
  const deploymentConfig = readDeploymentConfig(settings);
  // Read and verified here, once: a missing or altered file stops the start, not a thread later.
  const rankTables = processRankTables(settings.tiktokenCacheDir);
  // The lorem corpora likewise, in shared memory (one copy for every thread), built meanwhile.
  const lorem = processLoremCorpora(rankTables);
  lorem.catch(() => undefined); // awaited below: a failure meanwhile is not an unhandled rejection
  // Found (and a TypeScript one bundled) here, once; every thread then loads and initialises it.
  const extension = settings.extensionPath ? await prepareExtension(settings.extensionPath) : undefined;
  const deployments = deploymentConfig?.deployments ?? defaultDeployments();
  const deploymentCount = deployments.size;
  // 30 characters of the Python simulator's nanoid alphabet, from crypto-grade random bytes.
  const apiKey = settings.apiKey ?? randomId('', 30);

  // Record and replay: every recording is parsed now, so a broken file stops the start.
  const recordings = settings.mode === 'generate' ? undefined : loadRecordings(settings.recordingDir, log);
  // Several replicas recording to one share: each writes its own files (merged at load, as every
  // file of the folder is), so none overwrites another's.
  const recordAs = settings.replicaName ?? (settings.redis ? `${hostname()}-${process.pid}` : undefined);
  const recorder = settings.mode === 'record' ? new Recorder(settings.recordingDir, recordings!.files, settings.recordingAutosave, log, recordAs) : undefined;
  if (settings.mode === 'record' && (!settings.azureOpenAIEndpoint || !settings.azureOpenAIKey)) {
    log.warn('record mode needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_KEY: requests not recorded yet will fail');
  }

  // The runtime configuration and the windows are owned here; threads get each new version
  // (PATCH /++/config). What the threads say to main is answered by process/handlers.ts.
  let runtime: RuntimeConfig = {
    mode: settings.mode,
    latency: settings.latency,
    allowUndefinedDeployments: settings.allowUndefinedDeployments,
    deployments: deploymentSettings(deployments),
    faults: readFaultConfig(settings),
    agent: settings.agent,
  };
  // One window per rate-limited deployment, in shared memory: every thread charges the same budget.
  let limits = limitSpecsFor(deployments.values());
  // Several replicas on Redis: the configuration and the windows are the ones every replica shares.
  // node-redis is loaded only then (as in the front-end threads): an embedded simulator never needs it.
  const replica = settings.redis
    ? new (await import('./state/replicas.js')).ReplicaState(settings.redis, settings.replicaName ?? `${hostname()}-${process.pid}`, log)
    : undefined;
  let shared: SharedState | undefined;
  if (replica && settings.redis) {
    const stored = await replica.start(() => ({ runtime, windows: windowIdsAfterChange({}, {}, runtime.deployments, newWindowId) }));
    // Redis away at start: window ids every replica derives alike ('0'), until a stored version arrives.
    const windows = stored?.windows ?? windowIdsAfterChange({}, {}, runtime.deployments, () => '0');
    if (stored) runtime = stored.runtime;
    limits = limitSpecsForWindows(runtime.deployments, {}, windows, settings.redis.prefix);
    shared = { store: replica, prefix: settings.redis.prefix, version: stored?.version ?? 0, windows };
    if (stored) replica.seen(stored.version);
  } else if (Object.keys(limits).length > 0 && (settings.replicasHint ?? 1) > 1) {
    log.warn(
      `rate limits are configured and SIMULATOR_REPLICAS=${settings.replicasHint} replicas run, but SIMULATOR_REDIS_URL is not set: ` +
        `each replica keeps its own windows, so every budget is multiplied by the replica count (README "Scaling out")`,
    );
  } else if (Object.keys(limits).length > 0 && settings.replicaName && settings.replicasHint === undefined) {
    log.warn(
      'rate limits are configured on Azure Container Apps (CONTAINER_APP_REPLICA_NAME is set) without SIMULATOR_REDIS_URL: ' +
        'if more than one replica runs, each keeps its own windows and the budgets multiply (set SIMULATOR_REPLICAS=1 to say there is one; README "Scaling out")',
    );
  }
  const state: MainState = { runtime, limits, recorder, replayEntries: recordings?.entries ?? [], shared };
  const threads: Threads = {
    ids: () => cluster.threadIds(),
    broadcast: (message) => cluster.broadcast(message),
    describe: (thread) => cluster.describe(thread),
    renderMetrics: (snapshots) => mainMetrics.render(snapshots),
  };
  const mainMetrics = new MainMetrics({ limits: () => state.limits, pool: () => cluster.poolFigures(), frontEndThreads: () => cluster.threadIds().length });
  const { handlers, threadGone, sharedChanged } = mainHandlers(state, threads, log);

  const cluster: Cluster = new Cluster({
    settings,
    apiKey,
    replayEntries: state.replayEntries,
    limits: () => state.limits,
    runtime: () => state.runtime,
    log,
    rankTables,
    lorem: await lorem,
    extension,
    onMessage: (message, thread, reply) => dispatch(handlers, message, { thread, reply }),
    onThreadExit: threadGone,
    shared: replica && settings.redis ? { url: settings.redis.url, mode: settings.redis.onStoreError, timeoutMs: settings.redis.timeoutMs, prefix: settings.redis.prefix, status: replica.status } : undefined,
  });
  await cluster.start();
  replica?.onChange(sharedChanged);
  if (shared) void replica!.confirm(shared.version);

  const url = `http://localhost:${cluster.port}`;
  process.stdout.write(
    [
      `aoai-simulated-api listening on ${url} (${settings.mode} mode)`,
      // The key is printed once, and only when we made it up: a configured key is the user's secret.
      settings.apiKey ? 'API key: the value of SIMULATOR_API_KEY' : `API key: ${apiKey}`,
      `Point an OpenAI SDK at it: endpoint ${url}, api-key header (or Bearer token) = the API key`,
      `Threads: ${settings.frontEndThreads} front-end (uWebSockets.js), ${settings.poolThreads} pool (piscina); ` +
        `deployments: ${deploymentCount} ${deploymentConfig ? `from ${deploymentConfig.source}` : 'built-in'}` +
        `${settings.allowUndefinedDeployments ? ', undefined names allowed' : ''}`,
      ...(extension ? [`Extension: ${extension.name} (${extension.source})`] : []),
      ...(replica ? [`State: Redis (prefix ${settings.redis!.prefix}), replica ${replica.name}, ${replica.up ? `${replica.replicas} live replica(s)` : 'not reachable yet: limiting locally'}`] : []),
      ...(settings.tiktokenCacheDir ? [`Tokenizer files: ${resolve(settings.tiktokenCacheDir!)} (sha256 checked)`] : []),
      ...(recordings ? [`Recordings: ${recordings.entries.length} interaction(s) in ${resolve(settings.recordingDir)}${recorder ? `, autosave ${recorder.autosave ? 'on' : 'off'}` : ''}`] : []),
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, shutting down`);
    // Save what has arrived now, in case a thread will not stop; the rest once they have.
    try {
      recorder?.saveAll();
    } catch (err) {
      log.error(`saving recordings failed: ${(err as Error).message}`);
    }
    cluster.stop().then(
      async () => {
        await replica?.close();
        // The threads have stopped, so every interaction they recorded has reached us: save it.
        try {
          recorder?.saveAll();
        } catch (err) {
          log.error(`saving recordings at shutdown failed: ${(err as Error).message}`);
          process.exit(1);
        }
        process.exit(0);
      },
      (err: Error) => {
        log.error(`shutdown failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: Error) => {
  // A SimulatorError's message is written for the user; anything else is a bug and keeps its stack.
  process.stderr.write(`aoai-simulated-api: ${err instanceof SimulatorError ? err.message : (err.stack ?? err.message)}\n`);
  process.exit(1);
});
