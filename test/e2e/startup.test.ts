/**
 * Starting up: a generated key is printed once, `.env` is read, and configuration mistakes stop
 * the start with one clear line naming what is wrong — never a stack trace.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { azureClient } from '../helpers/clients.js';
import { runToExit, startSimulator } from '../helpers/simulator.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'aoai-sim-start-'));

describe('start-up', () => {
  it('generates an API key when none is set, prints it once, and accepts it', async () => {
    const sim = await startSimulator({ SIMULATOR_API_KEY: '' });
    try {
      expect(sim.apiKey).toMatch(/^[\w-]{30}$/);
      const ok = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 });
      expect(ok.usage!.completion_tokens).toBe(1);
      const output = sim.stdout() + sim.stderr();
      expect(output.split(sim.apiKey)).toHaveLength(2); // printed exactly once
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });

  it('never prints a configured key', async () => {
    const sim = await startSimulator({ SIMULATOR_API_KEY: 'my-secret-key-value' });
    try {
      await azureClient(sim, 'wrong').chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
      expect(sim.stdout() + sim.stderr()).not.toContain('my-secret-key-value');
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });

  it('reads .env from the working directory', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), '# settings\nSIMULATOR_API_KEY="from-dot-env"\nALLOW_UNDEFINED_OPENAI_DEPLOYMENTS=false # only configured ones\n');
    const sim = await startSimulator({}, { cwd: dir, injectKey: false });
    try {
      const client = azureClient(sim, 'from-dot-env');
      await expect(client.chat.completions.create({ model: 'made-up', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
      const ok = await client.chat.completions.create({ model: 'gpt-35-turbo-1k-token', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
      expect(ok.usage!.completion_tokens).toBe(2);
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });

  it('stops with a clear message when the port is in use, instead of sharing it', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', () => resolve()));
    try {
      const { port } = blocker.address() as { port: number };
      const run = await runToExit({ PORT: String(port) });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot listen on 0.0.0.0:${port}: the port is in use`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('stops with a clear message for an unknown model in the deployment config', async () => {
    const file = join(tempDir(), 'deployments.json');
    writeFileSync(file, JSON.stringify({ good: { model: 'gpt-4o' }, bad: { model: 'gpt-9-ultra', tokensPerMinute: 1000 } }));
    const run = await runToExit({ OPENAI_DEPLOYMENT_CONFIG_PATH: file });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(file);
    expect(run.stderr).toContain('deployment "bad"');
    expect(run.stderr).toContain('unknown model "gpt-9-ultra"');
    expect(run.stderr).toContain('gpt-4o');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('stops with a clear message for a missing or malformed config file and bad settings', async () => {
    const missing = await runToExit({ OPENAI_DEPLOYMENT_CONFIG_PATH: '/nonexistent/deployments.json' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('/nonexistent/deployments.json');
    const file = join(tempDir(), 'broken.json');
    writeFileSync(file, '{ "x": ');
    const broken = await runToExit({ OPENAI_DEPLOYMENT_CONFIG_PATH: file });
    expect(broken.stderr).toContain(`${file}: not valid JSON`);
    const mode = await runToExit({ SIMULATOR_MODE: 'fly' });
    expect(mode.code).toBe(1);
    expect(mode.stderr).toContain('SIMULATOR_MODE must be one of generate, record, replay');
    for (const run of [missing, broken, mode]) expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
