/**
 * sample.env documents every variable the simulator reads, and nothing it does not: the names
 * come from running `parseSettings` on an environment that records each name looked up.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/core/config/settings.js';

const sample = readFileSync(new URL('../../sample.env', import.meta.url), 'utf8');
// The simulator's section ends at the "# ====" heading of the deployment variables.
const simulatorSection = sample.split(/^# =+$/m)[0]!;
const documented = (text: string): Set<string> => new Set([...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));

function namesRead(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_, name) => {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  parseSettings(env, 2);
  return read;
}

describe('sample.env', () => {
  const read = namesRead();

  it('finds the settings read (sanity check of the recording environment)', () => {
    expect(read).toContain('SIMULATOR_MODE');
    expect(read).toContain('LATENCY_OPENAI_CHAT_COMPLETIONS_TTFT_STD_DEV');
    expect(read.size).toBeGreaterThan(30);
  });

  it('documents every variable the simulator reads, in its simulator section', () => {
    const missing = [...read].filter((name) => !documented(simulatorSection).has(name));
    expect(missing).toEqual([]);
  });

  it('documents no simulator variable that is not read', () => {
    const stale = [...documented(simulatorSection)].filter((name) => !read.has(name));
    expect(stale).toEqual([]);
  });
});
