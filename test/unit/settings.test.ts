import { describe, it, expect } from 'vitest';
import { parseSettings, SettingsError } from '../../src/core/config/settings.js';

function settingsError(env: Record<string, string>): SettingsError {
  try {
    parseSettings(env, 4);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return err as SettingsError;
  }
  throw new Error(`expected a SettingsError for ${JSON.stringify(env)}`);
}

describe('parseSettings', () => {
  it('has the documented defaults', () => {
    const s = parseSettings({}, 6);
    expect(s.mode).toBe('generate');
    expect(s.port).toBe(8000);
    expect(s.recordingDir).toBe('.recording');
    expect(s.recordingAutosave).toBe(true);
    expect(s.allowUndefinedDeployments).toBe(true);
    expect(s.latency.chatCompletions).toEqual({ mean: 19, stdDev: 6, ttftMean: 0, ttftStdDev: 0 });
    expect(s.latency.embeddings).toEqual({ mean: 100, stdDev: 30 });
    expect(s.latency.completions).toEqual({ mean: 15, stdDev: 2, ttftMean: 0, ttftStdDev: 0 });
    expect(s.frontEndThreads).toBe(6);
    expect(s.apiKey).toBeUndefined();
    expect(s.deploymentConfigPath).toBeUndefined();
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('frontEndThreads follows the cores, at least 1', () => {
    expect(parseSettings({}, 1).frontEndThreads).toBe(1);
    expect(parseSettings({}, 16).frontEndThreads).toBe(16);
    expect(parseSettings({}, 0).frontEndThreads).toBe(1);
    expect(parseSettings({ SIMULATOR_THREADS: '3' }, 16).frontEndThreads).toBe(3);
  });

  it('reads values from the environment', () => {
    const s = parseSettings(
      {
        SIMULATOR_MODE: 'Replay',
        PORT: '9001',
        RECORDING_DIR: '/tmp/rec',
        ALLOW_UNDEFINED_OPENAI_DEPLOYMENTS: 'false',
        SIMULATOR_API_KEY: 'secret',
        LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: '5',
        LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0.5',
        OPENAI_DEPLOYMENT_CONFIG_PATH: './d.json',
      },
      2,
    );
    expect(s.mode).toBe('replay');
    expect(s.port).toBe(9001);
    expect(s.recordingDir).toBe('/tmp/rec');
    expect(s.allowUndefinedDeployments).toBe(false);
    expect(s.apiKey).toBe('secret');
    expect(s.latency.chatCompletions).toEqual({ mean: 5, stdDev: 0.5, ttftMean: 0, ttftStdDev: 0 });
    expect(s.deploymentConfigPath).toBe('./d.json');
  });

  it('honours RECORDING_AUTO_SAVE when RECORDING_AUTOSAVE is unset; RECORDING_AUTOSAVE wins', () => {
    expect(parseSettings({ RECORDING_AUTO_SAVE: 'false' }, 1).recordingAutosave).toBe(false);
    expect(parseSettings({ RECORDING_AUTOSAVE: 'false' }, 1).recordingAutosave).toBe(false);
    expect(parseSettings({ RECORDING_AUTO_SAVE: 'false', RECORDING_AUTOSAVE: 'true' }, 1).recordingAutosave).toBe(true);
    expect(parseSettings({ RECORDING_AUTO_SAVE: 'true', RECORDING_AUTOSAVE: '0' }, 1).recordingAutosave).toBe(false);
  });

  it('bad values throw a SettingsError naming the variable', () => {
    expect(settingsError({ SIMULATOR_MODE: 'fake' }).message).toContain('SIMULATOR_MODE');
    expect(settingsError({ PORT: 'eighty' }).message).toContain('PORT');
    expect(settingsError({ PORT: '70000' }).message).toContain('PORT');
    expect(settingsError({ PORT: '80.5' }).message).toContain('PORT');
    expect(settingsError({ ALLOW_UNDEFINED_OPENAI_DEPLOYMENTS: 'maybe' }).message).toContain('ALLOW_UNDEFINED_OPENAI_DEPLOYMENTS');
    expect(settingsError({ RECORDING_AUTOSAVE: 'sometimes' }).message).toContain('RECORDING_AUTOSAVE');
    expect(settingsError({ LATENCY_OPENAI_EMBEDDINGS_MEAN: '-1' }).message).toContain('LATENCY_OPENAI_EMBEDDINGS_MEAN');
  });

  it('empty SIMULATOR_API_KEY means no key', () => {
    expect(parseSettings({ SIMULATOR_API_KEY: '' }, 1).apiKey).toBeUndefined();
    expect(parseSettings({ SIMULATOR_API_KEY: '   ' }, 1).apiKey).toBeUndefined();
  });

  it('empty values fall back to defaults', () => {
    const s = parseSettings({ PORT: '', SIMULATOR_MODE: '', RECORDING_DIR: '' }, 1);
    expect(s.port).toBe(8000);
    expect(s.mode).toBe('generate');
    expect(s.recordingDir).toBe('.recording');
  });
});

describe('answer length and pool settings', () => {
  it('defaults to natural answers and accepts fill; rejects anything else', () => {
    expect(parseSettings({}, 2).answerLength).toBe('natural');
    expect(parseSettings({ SIMULATOR_ANSWER_LENGTH: 'FILL' }, 2).answerLength).toBe('fill');
    expect(() => parseSettings({ SIMULATOR_ANSWER_LENGTH: 'long' }, 2)).toThrow(/SIMULATOR_ANSWER_LENGTH/);
  });

  it('sizes the pool by cores and offloads bodies from 64 KiB by default', () => {
    const s = parseSettings({}, 4);
    expect(s.poolThreads).toBe(4);
    expect(s.poolMinBodyBytes).toBe(65_536);
  });
});

describe('AZURE_OPENAI_ENDPOINT', () => {
  it('must be an http(s) URL', () => {
    expect(parseSettings({ AZURE_OPENAI_ENDPOINT: 'https://mysvc.openai.azure.com/' }, 2).azureOpenAIEndpoint).toBe('https://mysvc.openai.azure.com/');
    expect(() => parseSettings({ AZURE_OPENAI_ENDPOINT: 'mysvc.openai.azure.com' }, 2)).toThrow(/AZURE_OPENAI_ENDPOINT must be an http\(s\) URL/);
    expect(() => parseSettings({ AZURE_OPENAI_ENDPOINT: 'ftp://x' }, 2)).toThrow(SettingsError);
  });
});
