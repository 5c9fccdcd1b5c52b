/**
 * Hooks in every mode: the same extension's request hook (a path rewrite), response hook (a
 * header), forwarder and latency hook, in generate, record (against a fake upstream) and replay.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from 'openai';
import { azureClient, openaiClient } from '../helpers/clients.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startSimulator } from '../helpers/simulator.js';

const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-ext-modes-'));
const EXTENSION = join(dir, 'hooks.ts');
writeFileSync(
  EXTENSION,
  `import type { ExtensionApi } from 'aoai-simulated-api/extension';
export const apiVersion = 1;
export function initialize(api: ExtensionApi): void {
  // Request hook: the deployment "alias" is really gpt-4o.
  api.requestHooks.add((request) => {
    request.path = request.path.replace('/deployments/alias/', '/deployments/gpt-4o/');
    request.values.set('hooked', 'yes');
  });
  api.latency.add((request, target) => {
    request.values.set('latency', \`\${target.operation ?? 'none'}:\${target.ms}\`);
    return 0;
  });
  api.responseHooks.add((request, response) => {
    response.headers['x-mode'] = api.mode;
    response.headers['x-hooked'] = String(request.values.get('hooked') ?? 'no');
    response.headers['x-latency'] = String(request.values.get('latency') ?? 'none');
  });
  // Record mode: a route of the extension's own, answered (and recorded) without an upstream.
  const custom = api.route('POST', '/custom/{thing}');
  api.forwarders.add((request) => {
    const params = custom(request);
    if (!params) return undefined;
    return { response: api.json(200, { thing: params.thing, body: request.text() }), persist: true };
  });
}
`,
);

// Only watching hooks: native routing stays in place (the plain pipeline with the hooks attached).
const WATCHER = join(dir, 'watcher.ts');
writeFileSync(
  WATCHER,
  `import type { ExtensionApi } from 'aoai-simulated-api/extension';
export function initialize(api: ExtensionApi): void {
  api.latency.add((request, target) => {
    request.values.set('target', target.ms);
    return 0;
  });
  api.responseHooks.add((request, response) => {
    const body = request.json() as { max_tokens?: number } | undefined;
    response.headers['x-max-tokens'] = String(body?.max_tokens ?? 'none');
    response.headers['x-bytes'] = String(request.body.length);
    response.headers['x-target'] = String(request.values.get('target') ?? 'none');
  });
}
`,
);

let upstream: FakeUpstream;
const recordings = mkdtempSync(join(tmpdir(), 'aoai-sim-ext-recordings-'));

beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream.close();
});

describe('extension hooks in every mode', () => {
  it('generate: the request hook rewrites before routing, the latency and response hooks run', async () => {
    const sim = await startSimulator({ EXTENSION_PATH: EXTENSION, LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: '1000', LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0' });
    try {
      const { data, response } = await azureClient(sim).chat.completions.create({ model: 'alias', messages: [{ role: 'user', content: 'x' }], max_tokens: 3 }).withResponse();
      expect(data.model).toBe('gpt-4o'); // made by the deployment the hook chose
      expect(response.headers.get('x-mode')).toBe('generate');
      expect(response.headers.get('x-hooked')).toBe('yes');
      // The latency hook saw the model's target (1000 ms a token × 3) and set 0.
      expect(response.headers.get('x-latency')).toBe('chat:3000');
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });

  it('generate: the Responses API and its stored-response routes work behind an extension', async () => {
    const sim = await startSimulator({ EXTENSION_PATH: EXTENSION });
    try {
      const client = openaiClient(sim);
      const { data: created, response } = await client.responses.create({ model: 'gpt-4o', input: 'keep me' }).withResponse();
      expect(created.status).toBe('completed');
      expect(response.headers.get('x-hooked')).toBe('yes');
      const retrieved = await client.responses.retrieve(created.id);
      expect(retrieved.id).toBe(created.id);
      expect(retrieved.output_text).toBe(created.output_text);
      const items = await client.responses.inputItems.list(created.id);
      expect(items.data).toHaveLength(1);
      await client.responses.delete(created.id);
      await expect(client.responses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
      const unauthenticated = await fetch(`${sim.url}/openai/v1/responses/${created.id}`);
      expect(unauthenticated.status).toBe(401);
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });

  it('generate, watching hooks only: they see the body and the target, on natively routed requests too', async () => {
    const sim = await startSimulator({ EXTENSION_PATH: WATCHER, LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: '1000', LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0' });
    try {
      const body = JSON.stringify({ messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
      const res = await fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-max-tokens')).toBe('3');
      expect(res.headers.get('x-bytes')).toBe(String(Buffer.byteLength(body)));
      expect(res.headers.get('x-target')).toBe('3000'); // the model's 1000 ms × 3 tokens, set to 0 by the hook
      const unknown = await fetch(`${sim.url}/nowhere`, { method: 'POST', headers: { 'api-key': sim.apiKey }, body: '{"max_tokens": 7}' });
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('x-max-tokens')).toBe('7'); // the extension's path for what uWS does not route
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });

  it('record: hooks around the built-in forwarder, and an extension forwarder that answers and records', async () => {
    const sim = await startSimulator({ EXTENSION_PATH: EXTENSION, SIMULATOR_MODE: 'record', RECORDING_DIR: recordings, AZURE_OPENAI_ENDPOINT: upstream.url, AZURE_OPENAI_KEY: 'upstream-key' });
    try {
      const { data, response } = await azureClient(sim).chat.completions.create({ model: 'alias', messages: [{ role: 'user', content: 'record me' }] }).withResponse();
      expect(data.choices[0]!.message.content).toContain('Recorded answer');
      expect(upstream.seen.at(-1)!.path).toBe('/openai/deployments/gpt-4o/chat/completions'); // rewritten before forwarding
      expect(response.headers.get('x-mode')).toBe('record');
      expect(response.headers.get('x-hooked')).toBe('yes');
      const custom = await fetch(`${sim.url}/custom/widget`, { method: 'POST', headers: { 'api-key': sim.apiKey }, body: 'payload' });
      expect(await custom.json()).toEqual({ thing: 'widget', body: 'payload' });
      expect(custom.headers.get('x-mode')).toBe('record');
    } finally {
      expect(await sim.stop()).toBe(0);
    }
    expect(readdirSync(recordings).sort()).toEqual(['custom_widget.yaml', 'openai_deployments_gpt-4o_chat_completions.yaml']);
  });

  it('replay: the request hook finds the recording under the rewritten path; the response hook runs on replays and misses', async () => {
    const sim = await startSimulator({ EXTENSION_PATH: EXTENSION, SIMULATOR_MODE: 'replay', RECORDING_DIR: recordings });
    try {
      const { data, response } = await azureClient(sim).chat.completions.create({ model: 'alias', messages: [{ role: 'user', content: 'record me' }] }).withResponse();
      expect(data.choices[0]!.message.content).toContain('Recorded answer');
      expect(response.headers.get('x-mode')).toBe('replay');
      expect(response.headers.get('x-hooked')).toBe('yes');
      expect(response.headers.get('x-latency')).toMatch(/^none:\d+$/); // the recorded duration, offered to the hook
      const custom = await fetch(`${sim.url}/custom/widget`, { method: 'POST', headers: { 'api-key': sim.apiKey }, body: 'payload' });
      expect(await custom.json()).toEqual({ thing: 'widget', body: 'payload' });
      const miss = await fetch(`${sim.url}/custom/other`, { method: 'POST', body: 'payload' });
      expect(miss.status).toBe(500);
      expect(((await miss.json()) as { error: { code: string } }).error.code).toBe('RecordingNotFound');
      expect(miss.headers.get('x-mode')).toBe('replay');
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });
});
