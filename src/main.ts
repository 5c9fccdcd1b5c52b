#!/usr/bin/env node
/**
 * Starts the simulator: settings from the environment (and `.env`), the deployment config, the
 * API key, then the cluster of front-end threads. Configuration mistakes end the start with one
 * clear line, never a stack trace.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DeploymentConfigError, defaultDeployments, parseDeploymentConfig } from './core/deployments.js';
import { parseSettings, SettingsError, type Settings } from './core/settings.js';
import { Cluster } from './server/cluster.js';
import { loadEnvFile } from './server/env-file.js';
import { createLog } from './server/log.js';

const KEY_ALPHABET = '_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** 30 characters from the Python simulator's nanoid alphabet. */
function generateApiKey(): string {
  return [...randomBytes(30)].map((b) => KEY_ALPHABET[b & 63]).join('');
}

function readDeploymentConfig(settings: Settings): { text: string; source: string } | undefined {
  if (!settings.deploymentConfigPath) return undefined;
  const source = resolve(settings.deploymentConfigPath);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new DeploymentConfigError(`OPENAI_DEPLOYMENT_CONFIG_PATH: cannot read ${source} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  parseDeploymentConfig(text, source); // validate once here, so a mistake stops the start
  return { text, source };
}

async function main(): Promise<void> {
  loadEnvFile();
  const settings = parseSettings(process.env, availableParallelism());
  const log = createLog(settings.logLevel);
  if (settings.mode !== 'generate') {
    throw new SettingsError(`SIMULATOR_MODE=${settings.mode} is not available yet in this version; use generate`);
  }
  const deploymentConfig = readDeploymentConfig(settings);
  const deploymentCount = deploymentConfig ? parseDeploymentConfig(deploymentConfig.text, deploymentConfig.source).size : defaultDeployments().size;
  const apiKey = settings.apiKey ?? generateApiKey();

  const cluster = new Cluster({ settings, apiKey, deploymentConfig, log });
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
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, shutting down`);
    cluster.stop().then(
      () => process.exit(0),
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
  const expected = err instanceof SettingsError || err instanceof DeploymentConfigError;
  process.stderr.write(`aoai-simulated-api: ${expected ? err.message : (err.stack ?? err.message)}\n`);
  process.exit(1);
});
