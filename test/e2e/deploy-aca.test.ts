/**
 * scripts/deploy-aca.sh (`make deploy-aca`) run against a stand-in `az` that records its calls:
 * the order of the steps, the uploads to the share, and parameters files that main.bicep accepts
 * (every name declared there) carrying the settings from the environment, keys only as secrets.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseBicep } from '../helpers/bicep.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/deploy-aca.sh', import.meta.url));
const MAIN_BICEP = fileURLToPath(new URL('../../infra/main.bicep', import.meta.url));

// Logs each call; keeps each parameters file; answers what the script reads back.
const FAKE_AZ = `#!/usr/bin/env bash
echo "az $*" >> "$AZ_DIR/calls.log"
case "$*" in
  "deployment group create"*)
    for a in "$@"; do case "$a" in @*) cp "\${a#@}" "$AZ_DIR/params-$(ls "$AZ_DIR" | grep -c params).json" ;; esac; done
    echo '{"registryName":{"value":"aoaisimreg"},"storageAccountName":{"value":"aoaisimst"},"shareName":{"value":"simulator"},"appFqdn":{"value":"aoaisim-app.example.net"}}' ;;
  "storage account keys list"*) echo "storage-key" ;;
esac
`;

interface Parameters {
  parameters: Record<string, { value: unknown }>;
}

describe('deploy-aca.sh', () => {
  it('deploys the base, builds the image, uploads the config, deploys the app with the .env settings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-aca-'));
    writeFileSync(join(dir, 'az'), FAKE_AZ);
    chmodSync(join(dir, 'az'), 0o755);
    const config = join(dir, 'my-deployments.json');
    writeFileSync(config, '{"gpt-4o-10k":{"model":"gpt-4o","tokensPerMinute":10000}}');
    const env = {
      PATH: `${dir}:${process.env.PATH}`,
      HOME: process.env.HOME ?? '',
      AZ_DIR: dir,
      RESOURCE_GROUP_NAME: 'rg-sim',
      SIMULATOR_MODE: 'replay',
      LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: '5',
      AZURE_OPENAI_KEY: 'upstream-secret',
      OPENAI_DEPLOYMENT_CONFIG_PATH: config,
      PORT: '9999',
      ACA_MAX_REPLICAS: '5',
      SIMULATOR_IMAGE_TAG: 'v1',
    };
    const { stdout } = await promisify(execFile)('bash', [SCRIPT], { env });

    const calls = readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
    const step = (prefix: string): number => calls.findIndex((c) => c.startsWith(prefix));
    expect(step('az group create --name rg-sim')).toBe(0);
    expect(step('az deployment group create')).toBe(1);
    expect(step('az acr build --registry aoaisimreg --image aoai-simulated-api:v1 --build-arg network_type=unrestricted')).toBeGreaterThan(1);
    expect(calls).toContain('az storage file upload --account-name aoaisimst --account-key storage-key --share-name simulator ' +
      `--source ${config} --path config/my-deployments.json --output none`);
    expect(calls.at(-1)).toMatch(/^az deployment group create/);

    const files = readdirSync(dir).filter((f) => f.startsWith('params-')).sort();
    expect(files).toEqual(['params-0.json', 'params-1.json']);
    const [base, app] = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Parameters);
    expect(base!.parameters.deployApp!.value).toBe(false);
    expect(app!.parameters.deployApp!.value).toBe(true);

    // Every parameter is one main.bicep declares.
    const declared = [...(await parseBicep(MAIN_BICEP)).declarations('parameter_declaration').keys()];
    for (const p of [base!, app!]) expect(Object.keys(p.parameters).filter((name) => !declared.includes(name))).toEqual([]);

    const { parameters } = app!;
    expect(parameters.maxReplicas!.value).toBe(5);
    expect(parameters.minReplicas!.value).toBe(1);
    expect(parameters.azureOpenAIKey!.value).toBe('upstream-secret');
    const key = parameters.simulatorApiKey!.value as string;
    expect(key).toMatch(/^[\w-]{32}$/); // generated, and told to the user
    expect(stdout).toContain(`API key (generated; set SIMULATOR_API_KEY in .env to choose one): ${key}`);
    expect(stdout).toContain('https://aoaisim-app.example.net');
    expect(parameters.environmentVariables!.value).toEqual([
      { name: 'SIMULATOR_MODE', value: 'replay' },
      { name: 'OPENAI_DEPLOYMENT_CONFIG_PATH', value: '/mnt/simulator/config/my-deployments.json' },
      { name: 'LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN', value: '5' },
    ]);
  });
});
