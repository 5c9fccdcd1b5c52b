/** core/limits/windows.ts: which rate-limit windows survive a configuration change. */
import { describe, expect, it } from 'vitest';
import { deploymentSettings, makeDeployment, type DeploymentSettings } from '../../src/core/config/deployments.js';
import { findModel } from '../../src/core/models.js';
import { limitSpecsAfterChange, limitSpecsFor } from '../../src/core/limits/windows.js';

const settings = (s: Record<string, Partial<DeploymentSettings> & { model: string }>): Record<string, DeploymentSettings> =>
  deploymentSettings(new Map(Object.entries(s).map(([name, d]) => [name, makeDeployment(name, findModel(d.model)!, { ...d })])));

describe('limitSpecsFor', () => {
  it('makes a window for each rate-limited deployment only', () => {
    const specs = limitSpecsFor(
      [makeDeployment('chat', findModel('gpt-4o')!, { tokensPerMinute: 1000 }), makeDeployment('free', findModel('gpt-4o')!), makeDeployment('stt', findModel('whisper')!, { requestsPerMinute: 3 })],
    );
    expect(Object.keys(specs).sort()).toEqual(['chat', 'stt']);
    expect(specs.chat).toMatchObject({ kind: 'tokens', tokensPerMinute: 1000 });
    expect(specs.stt).toMatchObject({ kind: 'requests', requestsPerMinute: 3 });
  });
});

describe('limitSpecsAfterChange', () => {
  const before = settings({
    keep: { model: 'gpt-4o', tokensPerMinute: 1000 },
    retune: { model: 'gpt-4o', tokensPerMinute: 1000 },
    remodel: { model: 'gpt-4o', tokensPerMinute: 1000 },
    drop: { model: 'gpt-4o', tokensPerMinute: 1000 },
    unlimit: { model: 'gpt-4o', tokensPerMinute: 1000 },
  });
  const beforeLimits = limitSpecsFor(
    Object.entries(before).map(([name, d]) => makeDeployment(name, findModel(d.model)!, { ...d })),
  );

  it('keeps a window (the same memory) while model and limits are unchanged; new or changed limits get a fresh one', () => {
    const next = settings({
      keep: { model: 'gpt-4o', tokensPerMinute: 1000, embeddingSize: 0 },
      retune: { model: 'gpt-4o', tokensPerMinute: 2000 },
      remodel: { model: 'gpt-4o-mini', tokensPerMinute: 1000 },
      unlimit: { model: 'gpt-4o' },
      added: { model: 'gpt-4o', tokensPerMinute: 500 },
    });
    const after = limitSpecsAfterChange(before, beforeLimits, next);
    expect(Object.keys(after).sort()).toEqual(['added', 'keep', 'remodel', 'retune']);
    expect(after.keep).toBe(beforeLimits.keep);
    expect(after.keep!.buffer).toBe(beforeLimits.keep!.buffer);
    expect(after.retune).not.toBe(beforeLimits.retune);
    expect(after.retune).toMatchObject({ tokensPerMinute: 2000 });
    expect(after.remodel!.buffer).not.toBe(beforeLimits.remodel!.buffer);
    expect(after.added).toMatchObject({ kind: 'tokens', tokensPerMinute: 500 });
  });

  it('starts a fresh window for a deployment that had no window before, even with the same settings', () => {
    const after = limitSpecsAfterChange(before, {}, settings({ keep: { model: 'gpt-4o', tokensPerMinute: 1000 } }));
    expect(after.keep).toBeDefined();
    expect(after.keep).not.toBe(beforeLimits.keep);
  });
});
