/**
 * Issue 11, item 1: every settable number has a documented range (core/config/bounds.ts), and
 * keys are the table's own — whether set by environment variable, in the deployment config file
 * or with PATCH /++/config. Each case here answered a crash, a 500 or a hang before.
 */
import { describe, expect, it } from 'vitest';
import { BOUNDS, describeBound } from '../../src/core/config/bounds.js';
import { DeploymentConfigError, defaultDeployments, deploymentSettings, parseDeploymentConfig } from '../../src/core/config/deployments.js';
import { applyConfigPatch, ConfigPatchError, type RuntimeConfig } from '../../src/core/config/runtime-config.js';
import { parseSettings, SettingsError } from '../../src/core/config/settings.js';

const settings = parseSettings({}, 2);
const runtime: RuntimeConfig = {
  mode: 'generate',
  latency: settings.latency,
  allowUndefinedDeployments: true,
  deployments: deploymentSettings(defaultDeployments()),
};

const refused = (patch: unknown): string => {
  try {
    applyConfigPatch(runtime, patch);
  } catch (err) {
    // A TypeError here was the 500 of before: only a ConfigPatchError is the client's 400.
    expect(err).toBeInstanceOf(ConfigPatchError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(patch)}`);
};

describe('PATCH /++/config bounds', () => {
  it.each([1e13, 1e11, 1_000_000_001, -1, 1.5])('tokens_per_minute %d is refused, naming the range', (tpm) => {
    expect(refused({ openai_deployments: { big: { model: 'gpt-4o', tokens_per_minute: tpm } } })).toMatch(
      /openai_deployments\.big\.tokens_per_minute must be a whole number from 0 to 1,000,000,000/,
    );
  });

  it('the largest TPM is accepted', () => {
    const next = applyConfigPatch(runtime, { openai_deployments: { big: { model: 'gpt-4o', tokens_per_minute: BOUNDS.tokensPerMinute.max } } });
    expect(next.deployments.big!.tokensPerMinute).toBe(1e9);
  });

  it('embedding_size 4294967296 and requests_per_minute 1e12 are refused', () => {
    expect(refused({ openai_deployments: { e: { model: 'text-embedding-3-small', embedding_size: 4294967296 } } })).toMatch(/embedding_size must be a whole number from 0 to 8,192/);
    expect(refused({ openai_deployments: { w: { model: 'whisper', requests_per_minute: 1e12 } } })).toMatch(/requests_per_minute must be/);
  });

  it.each(['mean', 'std_dev', 'ttft_mean', 'ttft_std_dev'])('latency %s of 1e308 is refused (a request would never answer)', (field) => {
    expect(refused({ latency: { open_ai_chat_completions: { [field]: 1e308 } } })).toMatch(new RegExp(`latency.open_ai_chat_completions.${field} must be a number from 0 to 600,000 ms`));
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('latency key %s is unknown, not a crash', (key) => {
    // JSON.parse makes "__proto__" an own key, as the server's body parser does.
    expect(refused(JSON.parse(`{"latency":{"${key}":{"mean":1}}}`))).toMatch(/is not a latency setting/);
    expect(refused(JSON.parse(`{"latency":{"open_ai_embeddings":{"${key}":1}}}`))).toMatch(/is not a setting/);
    expect(refused(JSON.parse(`{"openai_deployments":{"gpt-35-turbo-1k-token":{"${key}":1}}}`))).toMatch(/is not a deployment setting/);
  });

  it.each(['__proto__', 'constructor', 'toString'])('a deployment named %s is refused', (name) => {
    expect(refused(JSON.parse(`{"openai_deployments":{"${name}":{"model":"gpt-4o"}}}`))).toMatch(/reserved/);
  });

  it('deployment names are bounded and have no URL delimiters', () => {
    expect(refused({ openai_deployments: { ['x'.repeat(300)]: { model: 'gpt-4o' } } })).toMatch(/1 to 128 characters/);
    expect(refused({ openai_deployments: { 'a/b': { model: 'gpt-4o' } } })).toMatch(/cannot contain/);
    expect(refused({ openai_deployments: { 'a\u0000b': { model: 'gpt-4o' } } })).toMatch(/cannot contain/);
  });

  it('unknown top-level keys are all named, in a bounded message', () => {
    const message = refused({ foo: 1, ['k'.repeat(10_000)]: 2 });
    expect(message).toMatch(/unknown setting\(s\) foo, "k+"\.\.\./);
    expect(message.length).toBeLessThan(400);
    expect(message).toContain('openai_deployments');
  });

  it('a refused PATCH changes nothing', () => {
    expect(() => applyConfigPatch(runtime, { latency: { open_ai_embeddings: { mean: 5 } }, openai_deployments: { x: { model: 'gpt-4o', tokens_per_minute: 1e13 } } })).toThrow(ConfigPatchError);
    expect(runtime.latency.embeddings.mean).toBe(settings.latency.embeddings.mean);
  });
});

describe('environment bounds', () => {
  it.each([
    ['LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN', '1e308'],
    ['LATENCY_OPENAI_EMBEDDINGS_STD_DEV', '600001'],
    ['LATENCY_OPENAI_COMPLETIONS_TTFT_MEAN', 'Infinity'],
    ['SIMULATOR_MAX_BODY_BYTES', '1e12'],
    ['SIMULATOR_UPSTREAM_IDLE_TIMEOUT_MS', '1e10'],
  ])('%s=%s is a SettingsError stating the range', (name, value) => {
    expect(() => parseSettings({ [name]: value }, 2)).toThrow(SettingsError);
    expect(() => parseSettings({ [name]: value }, 2)).toThrow(new RegExp(`${name} must be .* from `));
  });
});

describe('deployment config file bounds', () => {
  const parse = (raw: unknown): unknown => parseDeploymentConfig(JSON.stringify(raw), 'deployments.json');
  it('tokensPerMinute 1e13 (number or string) is refused naming the file, deployment and range', () => {
    for (const tpm of [1e13, '10000000000000']) {
      expect(() => parse({ big: { model: 'gpt-4o', tokensPerMinute: tpm } })).toThrow(DeploymentConfigError);
      expect(() => parse({ big: { model: 'gpt-4o', tokensPerMinute: tpm } })).toThrow(
        `deployments.json: deployment "big": "tokensPerMinute" must be ${describeBound(BOUNDS.tokensPerMinute)}`,
      );
    }
  });

  it('unknown fields and reserved names are refused', () => {
    expect(() => parse({ d: { model: 'gpt-4o', tokensPerMinut: 5 } })).toThrow(/unknown field\(s\) "tokensPerMinut"/);
    expect(() => parseDeploymentConfig('{"constructor":{"model":"gpt-4o"}}', 'f.json')).toThrow(/reserved/);
    expect(() => parse({ d: { model: 'text-embedding-3-small', embeddingSize: 4294967296 } })).toThrow(/embeddingSize/);
  });
});

describe('totals', () => {
  it('many deployments at the largest limits are refused before any window is allocated', () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`d${i}`, { model: 'gpt-4o', tokens_per_minute: 1e9 }]));
    expect(refused({ openai_deployments: many })).toMatch(/rate-limit windows would take 4\d\d MiB, more than the 256 MiB allowed/);
    const tooMany = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`d${i}`, { model: 'gpt-4o' }]));
    expect(refused({ openai_deployments: tooMany })).toMatch(/at most 1000 deployments/);
    expect(() => parseDeploymentConfig(JSON.stringify(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`d${i}`, { model: 'gpt-4o', tokensPerMinute: 1e9 }]))), 'f.json')).toThrow(/more than 256 MiB/);
  });
});

describe('agent, images and Entra ID settings under the same rules', () => {
  it('agent: known keys and values only, never the prototype; the top level knows agent', () => {
    expect(applyConfigPatch(runtime, { agent: { tool_choice_auto: 'answer' } }).agent?.toolChoiceAuto).toBe('answer');
    expect(refused(JSON.parse('{"agent":{"__proto__":"x"}}'))).toMatch(/agent\.__proto__ is not a setting \(known: tool_choice_auto/);
    expect(refused({ agent: { toString: 'x' } })).toMatch(/agent\.toString is not a setting/);
    expect(refused({ agent: { tool_choice_auto: 'maybe' } })).toMatch(/agent\.tool_choice_auto must be one of call, answer, got "maybe"/);
    expect(refused({ agents: {} })).toMatch(/unknown setting\(s\) agents \(known: .*agent\)/);
  });

  it('image URL TTL and Entra clock skew have rows in BOUNDS', () => {
    expect(parseSettings({ SIMULATOR_IMAGE_URL_TTL_SECONDS: '3600' }, 2).imageUrlTtlSeconds).toBe(3600);
    for (const v of ['0', '1e12', '1.5']) {
      expect(() => parseSettings({ SIMULATOR_IMAGE_URL_TTL_SECONDS: v }, 2)).toThrow(`SIMULATOR_IMAGE_URL_TTL_SECONDS must be ${describeBound(BOUNDS.imageUrlTtlSeconds)}`);
    }
    expect(() => parseSettings({ SIMULATOR_ENTRA_CLOCK_SKEW_SECONDS: '-1' }, 2)).toThrow(SettingsError);
  });
});
