import { describe, it, expect } from 'vitest';
import {
  DeploymentConfigError,
  DeploymentRegistry,
  defaultDeployments,
  makeDeployment,
  parseDeploymentConfig,
} from '../../src/core/config/deployments.js';
import { findModel, knownModelNames } from '../../src/core/models.js';

describe('parseDeploymentConfig', () => {
  it('reads the Python simulator format, including numbers given as strings', () => {
    const text = JSON.stringify({
      'gpt-35-turbo-10k-token': { model: 'gpt-3.5-turbo', tokensPerMinute: '10000' },
      embedding: { model: 'text-embedding-ada-002', tokensPerMinute: 20000, embeddingSize: '512' },
      whisper: { model: 'whisper', requestsPerMinute: '3' },
    });
    const d = parseDeploymentConfig(text, 'deployments.json');
    expect([...d.keys()]).toEqual(['gpt-35-turbo-10k-token', 'embedding', 'whisper']);
    const chat = d.get('gpt-35-turbo-10k-token')!;
    expect(chat.name).toBe('gpt-35-turbo-10k-token');
    expect(chat.model.name).toBe('gpt-3.5-turbo');
    expect(chat.tokensPerMinute).toBe(10_000);
    expect(chat.undefinedDeployment).toBe(false);
    const emb = d.get('embedding')!;
    expect(emb.embeddingSize).toBe(512);
    expect(emb.tokensPerMinute).toBe(20_000);
    expect(d.get('whisper')!.requestsPerMinute).toBe(3);
  });

  it('defaults limits to 0 and embedding size to the model size', () => {
    const d = parseDeploymentConfig('{"e": {"model": "text-embedding-3-large"}, "c": {"model": "gpt-4o"}}', 'x.json');
    expect(d.get('e')!.embeddingSize).toBe(3072);
    expect(d.get('e')!.tokensPerMinute).toBe(0);
    expect(d.get('c')!.requestsPerMinute).toBe(0);
  });

  it('an unknown model names the file, the deployment and the known models', () => {
    const text = '{"my-deployment": {"model": "gpt-99", "tokensPerMinute": 1000}}';
    let caught: unknown;
    try {
      parseDeploymentConfig(text, 'config/deployments.json');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DeploymentConfigError);
    const message = (caught as Error).message;
    expect(message).toContain('config/deployments.json');
    expect(message).toContain('my-deployment');
    expect(message).toContain('gpt-99');
    expect(message).toContain('gpt-4o');
  });

  it('invalid JSON names the source', () => {
    expect(() => parseDeploymentConfig('{not json', 'broken.json')).toThrow(DeploymentConfigError);
    expect(() => parseDeploymentConfig('{not json', 'broken.json')).toThrow(/broken\.json/);
  });

  it('rejects non-object roots, missing models and bad counts, naming the source', () => {
    expect(() => parseDeploymentConfig('[]', 'a.json')).toThrow(/a\.json/);
    expect(() => parseDeploymentConfig('{"d": {}}', 'b.json')).toThrow(/b\.json.*"d"/);
    expect(() => parseDeploymentConfig('{"d": 5}', 'c.json')).toThrow(DeploymentConfigError);
    expect(() => parseDeploymentConfig('{"d": {"model": "gpt-4", "tokensPerMinute": "lots"}}', 'e.json')).toThrow(/tokensPerMinute/);
    expect(() => parseDeploymentConfig('{"d": {"model": "gpt-4", "tokensPerMinute": -1}}', 'e.json')).toThrow(DeploymentConfigError);
    expect(() => parseDeploymentConfig('{"d": {"model": "gpt-4", "tokensPerMinute": 1.5}}', 'e.json')).toThrow(DeploymentConfigError);
  });

  it('accepts dated model names', () => {
    const d = parseDeploymentConfig('{"d": {"model": "gpt-4o-2024-08-06"}}', 'x.json');
    expect(d.get('d')!.model.name).toBe('gpt-4o');
  });
});

describe('defaultDeployments', () => {
  const d = defaultDeployments();

  it("has the Python simulator's deployments", () => {
    expect(d.get('gpt-35-turbo-1k-token')!.tokensPerMinute).toBe(1_000);
    expect(d.get('gpt-35-turbo-1k-token')!.model.name).toBe('gpt-3.5-turbo');
    expect(d.get('gpt-35-turbo-100m-token')!.tokensPerMinute).toBe(100_000_000);
    expect(d.get('whisper')!.requestsPerMinute).toBe(3);
    expect(d.get('whisper')!.model.limitKind).toBe('requests');
    expect(d.get('embedding')!.model.name).toBe('text-embedding-ada-002');
    for (const dep of d.values()) expect(dep.undefinedDeployment).toBe(false);
  });
});

describe('DeploymentRegistry', () => {
  const configured = parseDeploymentConfig('{"mine": {"model": "gpt-4", "tokensPerMinute": 5000}}', 'x.json');

  it('returns configured deployments', () => {
    const r = new DeploymentRegistry(configured, true);
    const d = r.resolve('mine', 'chat')!;
    expect(d).toBe(configured.get('mine'));
    expect(d.undefinedDeployment).toBe(false);
    expect(d.tokensPerMinute).toBe(5000);
    expect(new DeploymentRegistry(configured, false).resolve('mine', 'chat')).toBe(configured.get('mine'));
  });

  it('makes up deployments for unknown names when allowed', () => {
    const r = new DeploymentRegistry(configured, true);
    const named = r.resolve('gpt-4o', 'chat')!;
    expect(named.undefinedDeployment).toBe(true);
    expect(named.model.name).toBe('gpt-4o');
    expect(named.name).toBe('gpt-4o');
    expect(named.tokensPerMinute).toBe(0);

    const other = r.resolve('whatever', 'chat')!;
    expect(other.undefinedDeployment).toBe(true);
    expect(other.model.name).toBe('gpt-3.5-turbo-0613');

    const emb = r.resolve('whatever', 'embeddings')!;
    expect(emb.undefinedDeployment).toBe(true);
    expect(emb.model.name).toBe('text-embedding-ada-002');

    // a model name that cannot do the operation falls back to the operation's default
    expect(r.resolve('gpt-4o', 'embeddings')!.model.name).toBe('text-embedding-ada-002');
    expect(r.resolve('text-embedding-3-small', 'embeddings')!.model.name).toBe('text-embedding-3-small');

    // made-up deployments are reused
    expect(r.resolve('whatever', 'chat')).toBe(other);
  });

  it('returns undefined for unknown names when not allowed', () => {
    const r = new DeploymentRegistry(configured, false);
    expect(r.resolve('whatever', 'chat')).toBeUndefined();
    expect(r.resolve('gpt-4o', 'chat')).toBeUndefined();
  });
});

describe('findModel / makeDeployment', () => {
  it('resolves dated names to their base model', () => {
    expect(findModel('gpt-4o-2024-08-06')!.name).toBe('gpt-4o');
    expect(findModel('gpt-4o-mini-2024-07-18')!.name).toBe('gpt-4o-mini');
    expect(findModel('gpt-4o')!.name).toBe('gpt-4o');
    expect(findModel('nope')).toBeUndefined();
    expect(findModel('nope-2024-08-06')).toBeUndefined();
  });

  it('knows the models a deployment file may name', () => {
    const names = knownModelNames();
    for (const n of ['gpt-4o', 'gpt-35-turbo', 'gpt-3.5-turbo', 'text-embedding-ada-002', 'whisper']) expect(names).toContain(n);
  });

  it('makeDeployment gives embedding size from the model, else 1536', () => {
    expect(makeDeployment('a', findModel('text-embedding-3-large')!).embeddingSize).toBe(3072);
    expect(makeDeployment('b', findModel('gpt-4o')!).embeddingSize).toBe(1536);
    expect(makeDeployment('c', findModel('text-embedding-3-large')!, { embeddingSize: 256 }).embeddingSize).toBe(256);
  });
});
