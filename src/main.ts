#!/usr/bin/env node
/**
 * Starts the simulator: settings from the environment (and `.env`), the deployment config, the
 * API key, then the cluster of front-end threads (their messages are answered by
 * process/handlers.ts). Configuration mistakes end the start with one clear line, never a stack
 * trace.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DeploymentConfigError, defaultDeployments, deploymentSettings, parseDeploymentConfig, type Deployment } from './core/config/deployments.js';
import { limitSpecsFor } from './core/limits/windows.js';
import { randomId } from './core/ids.js';
import { parseSettings, type Settings } from './core/config/settings.js';
import { useBodyMatching } from './core/recording/recording-key.js';
import { SimulatorError, StartupError } from './core/errors.js';
import { Cluster } from './process/cluster.js';
import { dispatch } from './protocol/messages.js';
import { mainHandlers, type MainState, type Threads } from './process/handlers.js';
import { loadRecordings, Recorder } from './process/recordings.js';
import { loadEnvFile } from './process/env-file.js';
import { createLog } from './log.js';
import { FaultConfigError, parseFaultConfig, type FaultConfig } from './core/faults/config.js';
import { processRankTables } from './process/tiktoken-cache.js';
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
  // Found (and a TypeScript one bundled) here, once; every thread then loads and initialises it.
  const extension = settings.extensionPath ? await prepareExtension(settings.extensionPath) : undefined;
  const deployments = deploymentConfig?.deployments ?? defaultDeployments();
  const deploymentCount = deployments.size;
  // 30 characters of the Python simulator's nanoid alphabet, from crypto-grade random bytes.
  const apiKey = settings.apiKey ?? randomId('', 30);

  // Record and replay: every recording is parsed now, so a broken file stops the start.
  const recordings = settings.mode === 'generate' ? undefined : loadRecordings(settings.recordingDir, log);
  const recorder = settings.mode === 'record' ? new Recorder(settings.recordingDir, recordings!.files, settings.recordingAutosave, log) : undefined;
  if (settings.mode === 'record' && (!settings.azureOpenAIEndpoint || !settings.azureOpenAIKey)) {
    log.warn('record mode needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_KEY: requests not recorded yet will fail');
  }

  // The runtime configuration and the windows are owned here; threads get each new version
  // (PATCH /++/config). What the threads say to main is answered by process/handlers.ts.
  const state: MainState = {
    runtime: {
      mode: settings.mode,
      latency: settings.latency,
      allowUndefinedDeployments: settings.allowUndefinedDeployments,
      deployments: deploymentSettings(deployments),
      faults: readFaultConfig(settings),
      agent: settings.agent,
    },
    // One window per rate-limited deployment, in shared memory: every thread charges the same budget.
    limits: limitSpecsFor(deployments.values()),
    recorder,
    replayEntries: recordings?.entries ?? [],
  };
  const threads: Threads = {
    ids: () => cluster.threadIds(),
    broadcast: (message) => cluster.broadcast(message),
    describe: (thread) => cluster.describe(thread),
  };
  const { handlers, threadGone } = mainHandlers(state, threads, log);

  const cluster: Cluster = new Cluster({
    settings,
    apiKey,
    replayEntries: state.replayEntries,
    limits: () => state.limits,
    runtime: () => state.runtime,
    log,
    rankTables,
    extension,
    onMessage: (message, thread, reply) => dispatch(handlers, message, { thread, reply }),
    onThreadExit: threadGone,
  });
  await cluster.start();

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
      () => {
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
