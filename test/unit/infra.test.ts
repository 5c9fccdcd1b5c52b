/**
 * The Azure Container Apps infrastructure (infra/*.bicep): every file parses (tree-sitter Bicep
 * grammar; see test/helpers/bicep.ts for why not the compiler), the module gets exactly the
 * parameters it declares, and the pieces the deployment promises are there.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { decoratorsOf, objectKeys, parseBicep, type BicepFile } from '../helpers/bicep.js';

const INFRA = fileURLToPath(new URL('../../infra/', import.meta.url));
let main: BicepFile;
let app: BicepFile;

beforeAll(async () => {
  main = await parseBicep(`${INFRA}main.bicep`);
  app = await parseBicep(`${INFRA}modules/container-app.bicep`);
});

describe('infra/*.bicep', () => {
  it('every file parses with no error or missing node', async () => {
    const files = readdirSync(INFRA, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.bicep'));
    expect(files.sort()).toEqual(['main.bicep', 'modules/container-app.bicep']);
    for (const file of files) expect({ file, errors: (await parseBicep(`${INFRA}${file}`)).errors }).toEqual({ file, errors: [] });
  });

  it('the parser does report a syntax error (so the check above can fail)', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const broken = join(mkdtempSync(join(tmpdir(), 'bicep-')), 'broken.bicep');
    writeFileSync(broken, "param minReplicas int =\nresource x 'Microsoft.App/containerApps@2024-03-01' = {\n  name: \n}\n");
    expect((await parseBicep(broken)).errors).not.toEqual([]);
  });

  it('main passes the app module exactly its parameters (all required ones, no unknown one)', () => {
    const module = main.declarations('module_declaration').get('app')!;
    expect(module.namedChildren[1]!.text).toBe("'modules/container-app.bicep'");
    const passed = objectKeys(module, 'params').sort();
    const declared = [...app.declarations('parameter_declaration').keys()].sort();
    expect(passed).toEqual(declared); // none of the module's parameters has a default
  });

  it('declares the registry, logs, environment, storage, share, its mount and the app', () => {
    const types = (file: BicepFile): string[] => [...file.declarations('resource_declaration').values()].map((r) => r.namedChildren[1]!.text.replace(/^'|@.*'$/g, ''));
    expect(types(main).sort()).toEqual([
      'Microsoft.App/containerApps',
      'Microsoft.App/managedEnvironments',
      'Microsoft.App/managedEnvironments/storages',
      'Microsoft.Cache/redisEnterprise',
      'Microsoft.Cache/redisEnterprise/databases',
      'Microsoft.ContainerRegistry/registries',
      'Microsoft.Insights/components',
      'Microsoft.OperationalInsights/workspaces',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.Storage/storageAccounts/fileServices',
      'Microsoft.Storage/storageAccounts/fileServices/shares',
    ]);
    expect(types(app).sort()).toEqual(['Microsoft.App/containerApps', 'Microsoft.ContainerRegistry/registries']);
  });

  it('min/max replicas are int parameters that reach the scale settings', () => {
    for (const name of ['minReplicas', 'maxReplicas']) {
      const param = main.declarations('parameter_declaration').get(name)!;
      expect(param.namedChildren[1]!.text).toBe('int');
      expect(decoratorsOf(param)).toMatch(/@minValue\(\d+\)[\s\S]*@maxValue\(300\)/);
    }
    const scale = app.root.descendantsOfType('object_property').find((p) => p?.namedChildren[0]?.text === 'scale')!;
    expect(objectKeys(scale, 'scale')).toEqual(['minReplicas', 'maxReplicas', 'rules']);
    expect(scale.text).toContain('minReplicas: minReplicas');
    expect(scale.text).toContain('maxReplicas: maxReplicas');
  });

  it('keys are secure parameters and Container Apps secrets, never plain environment values', () => {
    for (const file of [main, app]) {
      for (const name of ['simulatorApiKey', 'azureOpenAIKey']) expect(decoratorsOf(file.declarations('parameter_declaration').get(name)!)).toContain('@secure()');
    }
    const secretEnv = app.declarations('variable_declaration').get('secretEnv')!.text;
    expect(secretEnv).toContain("{ name: 'SIMULATOR_API_KEY', secretRef: 'simulator-api-key' }");
    expect(secretEnv).toContain("{ name: 'AZURE_OPENAI_KEY', secretRef: 'azure-openai-key' }");
  });

  it('sends /metrics to Application Insights through a Collector sidecar only when asked, with the key as a secret', () => {
    const param = main.declarations('parameter_declaration').get('applicationInsights')!;
    expect(param.text).toBe('param applicationInsights bool = false');
    expect(decoratorsOf(app.declarations('parameter_declaration').get('applicationInsightsConnectionString')!)).toContain('@secure()');
    const config = app.declarations('variable_declaration').get('collectorConfig')!.text;
    expect(config).toContain("targets: ['localhost:8000']");
    expect(config).toContain('metrics_path: /metrics');
    expect(config).toContain('credentials: ${env:SIMULATOR_API_KEY}');
    expect(config).toContain('value: ${env:CONTAINER_APP_REPLICA_NAME}');
    expect(config).toContain('connection_string: ${env:APPLICATIONINSIGHTS_CONNECTION_STRING}');
    const collector = app.declarations('variable_declaration').get('collector')!.text;
    expect(collector).toMatch(/^var collector = hasInsights/);
    expect(collector).toContain("{ name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights-connection-string' }");
  });

  it('mounts the share at /mnt/simulator, recordings there by default, ingress on 8000', () => {
    expect(main.declarations('variable_declaration').get('mountPath')!.text).toBe("var mountPath = '/mnt/simulator'");
    const appText = app.declarations('resource_declaration').get('app')!.text;
    expect(appText).toMatch(/volumeMounts: \[\s*\{\s*volumeName: 'simulator'\s*mountPath: mountPath/);
    expect(appText).toMatch(/storageType: 'AzureFile'\s*storageName: storageName/);
    expect(appText).toContain('targetPort: 8000');
    expect(app.declarations('variable_declaration').get('defaultEnv')!.text).toContain("{ name: 'RECORDING_DIR', value: '${mountPath}/recording' }");
  });

  it('redisMode none | container | managed: a Redis container app (internal TCP) or Azure Managed Redis, its URL a secret in SIMULATOR_REDIS_URL', () => {
    const mode = main.declarations('parameter_declaration').get('redisMode')!;
    expect(decoratorsOf(mode)).toContain("@allowed(['none', 'container', 'managed'])");
    expect(mode.text).toContain("= 'none'");
    expect(decoratorsOf(main.declarations('parameter_declaration').get('redisPassword')!)).toContain('@secure()');
    expect(decoratorsOf(app.declarations('parameter_declaration').get('redisUrl')!)).toContain('@secure()');
    const container = main.declarations('resource_declaration').get('redisApp')!.text;
    expect(container).toContain("if (redisMode == 'container')");
    expect(container).toMatch(/external: false\s*transport: 'tcp'\s*targetPort: 6379/);
    expect(container).toContain("--save \"\" --appendonly no --requirepass");
    expect(container).toContain('scale: { minReplicas: 1, maxReplicas: 1 }');
    const db = main.declarations('resource_declaration').get('managedRedisDb')!.text;
    expect(db).toContain("if (redisMode == 'managed')");
    expect(db).toContain("clusteringPolicy: 'NoCluster'");
    expect(db).toContain('port: 10000');
    const url = main.declarations('variable_declaration').get('redisUrl')!.text;
    expect(url).toContain("'redis://:${redisPassword}@${redisAppName}:6379'");
    expect(url).toContain("'rediss://:${managedRedisDb.listKeys().primaryKey}@${managedRedis.properties.hostName}:10000'");
    const secretEnv = app.declarations('variable_declaration').get('secretEnv')!.text;
    expect(secretEnv).toContain("hasRedis ? [{ name: 'SIMULATOR_REDIS_URL', secretRef: 'redis-url' }] : []");
    expect(app.declarations('resource_declaration').get('app')!.text).toContain("hasRedis ? [{ name: 'redis-url', value: redisUrl }] : []");
    // The replica count hint for the start-up warning.
    expect(app.declarations('variable_declaration').get('defaultEnv')!.text).toContain("{ name: 'SIMULATOR_REPLICAS', value: string(maxReplicas) }");
  });
});
