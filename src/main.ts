#!/usr/bin/env node
/**
 * Starts the simulator: settings from the environment (and `.env`), the deployment config, the
 * API key, then the cluster of front-end threads. Configuration mistakes end the start with one
 * clear line, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DeploymentConfigError, defaultDeployments, deploymentSettings, deploymentsFrom, parseDeploymentConfig, type Deployment } from './core/config/deployments.js';
import { limitSpecFor, type LimitSpec } from './core/limits/rate-limits.js';
import { applyConfigPatch, type RuntimeConfig } from './core/config/runtime-config.js';
import { randomId } from './core/ids.js';
import { parseSettings, SettingsError, type Settings } from './core/config/settings.js';
import { useBodyMatching } from './core/recording/recording-key.js';
import { entryOf, RecordingFileError } from './core/recording/recording-file.js';
import { Cluster, StartupError } from './process/cluster.js';
import type { MainMessage } from './protocol/messages.js';
import { Gatherings } from './protocol/gatherings.js';
import { statsJson, type StatsSnapshot } from './protocol/stats.js';
import { loadRecordings, Recorder } from './process/recordings.js';
import { loadEnvFile } from './process/env-file.js';
import { createLog } from './log.js';
import { loadTiktokenCache } from './process/tiktoken-cache.js';
import { prepareExtension } from './process/extension-load.js';

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

/** The uWebSockets.js build we depend on ships native binaries for these Node ABIs only. */
const SUPPORTED_NODE_ABIS: Readonly<Record<string, string>> = { '93': '16', '108': '18', '115': '20' };

async function main(): Promise<void> {
  if (!(process.versions.modules in SUPPORTED_NODE_ABIS)) {
    throw new StartupError(
      `Node.js ${process.versions.node} is not supported: the uWebSockets.js build has native binaries for Node ${Object.values(SUPPORTED_NODE_ABIS).join(', ')} only (use Node 20)`,
    );
  }
  loadEnvFile();
  const settings = parseSettings(process.env, availableParallelism());
  useBodyMatching(settings.recordingIgnoreBodyFields); // before the recordings are indexed
  const log = createLog(settings.logLevel);
  const deploymentConfig = readDeploymentConfig(settings);
  // Read and verified here, once: a missing or altered file stops the start, not a thread later.
  const rankTables = settings.tiktokenCacheDir ? loadTiktokenCache(settings.tiktokenCacheDir) : undefined;
  // Found (and a TypeScript one bundled) here, once; every thread then loads and initialises it.
  const extension = settings.extensionPath ? await prepareExtension(settings.extensionPath) : undefined;
  const deployments = deploymentConfig?.deployments ?? defaultDeployments();
  const deploymentCount = deployments.size;
  // One window per rate-limited deployment, in shared memory: every thread charges the same budget.
  let limits: Record<string, LimitSpec> = {};
  for (const [name, deployment] of deployments) {
    const spec = limitSpecFor(deployment);
    if (spec) limits[name] = spec;
  }
  // 30 characters of the Python simulator's nanoid alphabet, from crypto-grade random bytes.
  const apiKey = settings.apiKey ?? randomId('', 30);

  // Record and replay: every recording is parsed now, so a broken file stops the start.
  const recordings = settings.mode === 'generate' ? undefined : loadRecordings(settings.recordingDir);
  const recorder = settings.mode === 'record' ? new Recorder(settings.recordingDir, recordings!.files, settings.recordingAutosave, log) : undefined;
  if (settings.mode === 'record' && (!settings.azureOpenAIEndpoint || !settings.azureOpenAIKey)) {
    log.warn('record mode needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_KEY: requests not recorded yet will fail');
  }

  // The runtime configuration is owned here; threads get each new version (PATCH /++/config).
  let runtime: RuntimeConfig = {
    mode: settings.mode,
    latency: settings.latency,
    allowUndefinedDeployments: settings.allowUndefinedDeployments,
    deployments: deploymentSettings(deployments),
    agent: settings.agent,
  };
  // Questions put to every thread: has it applied a configuration, its statistics, has it sent
  // every recording.
  const applied = new Gatherings<void>();
  const snapshots = new Gatherings<StatsSnapshot>();
  const flushed = new Gatherings<void>();

  const cluster: Cluster = new Cluster({
    settings,
    apiKey,
    replayEntries: recordings?.entries ?? [],
    limits: () => limits,
    runtime: () => runtime,
    log,
    rankTables,
    extension,
    onMessage: (message, reply) => {
      if (message.type === 'recorded' && recorder) {
        try {
          recorder.add(message.file, message.interaction);
          // Every thread replays what any thread recorded, a restarted one included.
          const entry = entryOf(message.interaction, message.file, message.file);
          recordings!.entries.push(entry);
          cluster.broadcast({ type: 'replay-entry', entry });
        } catch (err) {
          log.error(`could not save a recording to ${message.file}: ${(err as Error).message}`);
        }
      } else if (message.type === 'config-patch') {
        let next: RuntimeConfig;
        try {
          next = applyConfigPatch(runtime, message.patch);
        } catch (err) {
          return reply({ type: 'config-patched', id: message.id, error: (err as Error).message });
        }
        // Answer the PATCH only once every thread has the new version: the next request, on any
        // thread, sees the change.
        // A deployment keeps its window while its limits stay the same: changing latency (or
        // anything else) never resets a budget; new or changed limits start a fresh window.
        const nextLimits: Record<string, LimitSpec> = {};
        for (const deployment of deploymentsFrom(next.deployments).values()) {
          const before = runtime.deployments[deployment.name];
          const unchanged =
            before && limits[deployment.name] && before.model === deployment.model.name &&
            before.tokensPerMinute === deployment.tokensPerMinute && before.requestsPerMinute === deployment.requestsPerMinute;
          const spec = unchanged ? limits[deployment.name] : limitSpecFor(deployment);
          if (spec) nextLimits[deployment.name] = spec;
        }
        runtime = next;
        limits = nextLimits;
        const version = applied.open(cluster.threadCount, () => reply({ type: 'config-patched', id: message.id }));
        cluster.broadcast({ type: 'config', version, config: runtime, limits });
      } else if (message.type === 'stats-request') {
        const gathering = snapshots.open(cluster.threadCount, (all) => reply({ type: 'stats-result', id: message.id, json: statsJson(all) }));
        cluster.broadcast({ type: 'stats', id: gathering, reset: message.reset });
      } else if (message.type === 'stats-snapshot') {
        snapshots.add(message.id, message.snapshot);
      } else if (message.type === 'config-applied') {
        applied.add(message.version);
      } else if (message.type === 'save') {
        // A recording made on another thread may still be on its way here (the threads' channels
        // are not ordered with each other): every thread answers a flush after whatever it sent.
        const gathering = flushed.open(cluster.threadCount, () => {
          try {
            reply({ type: 'saved', id: message.id, files: recorder?.saveAll() ?? 0 });
          } catch (err) {
            reply({ type: 'saved', id: message.id, files: 0, error: (err as Error).message });
          }
        });
        cluster.broadcast({ type: 'flush', id: gathering });
      } else if (message.type === 'flushed') {
        flushed.add(message.id);
      }
    },
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
      ...(rankTables ? [`Tokenizer files: ${resolve(settings.tiktokenCacheDir!)} (sha256 checked)`] : []),
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
  const expected = err instanceof SettingsError || err instanceof DeploymentConfigError || err instanceof StartupError || err instanceof RecordingFileError;
  process.stderr.write(`aoai-simulated-api: ${expected ? err.message : (err.stack ?? err.message)}\n`);
  process.exit(1);
});
