/**
 * The examples in examples/, each loaded through EXTENSION_PATH in a started simulator and
 * exercised over HTTP (with the OpenAI SDK where the route is an OpenAI one).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { azureClient } from '../helpers/clients.js';
import { startSimulator } from '../helpers/simulator.js';

const example = (name: string): string => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));

describe('examples/echo.js', () => {
  it('answers a route the simulator does not know, with its own auth check, and leaves the rest alone', async () => {
    const sim = await startSimulator({ EXTENSION_PATH: example('echo.js') });
    try {
      expect(sim.stdout()).toContain('Extension: echo');
      const res = await fetch(`${sim.url}/echo`, { method: 'POST', headers: { 'api-key': sim.apiKey }, body: 'hello there' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(await res.text()).toBe('Echo: hello there');
      const denied = await fetch(`${sim.url}/echo`, { method: 'POST', headers: { 'api-key': 'wrong' }, body: 'x' });
      expect(denied.status).toBe(401);
      expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('401');
      // Unknown routes are still 404, built-in routes still built-in.
      expect((await fetch(`${sim.url}/other`, { method: 'POST', headers: { 'api-key': sim.apiKey }, body: 'x' })).status).toBe(404);
      const chat = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
      expect(chat.usage!.completion_tokens).toBe(3);
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });
});

describe('examples/fixed-chat.ts (TypeScript, no build step)', () => {
  it('replaces the chat generator: 10 tokens and finish_reason stop whatever max_tokens says, streamed too', async () => {
    const sim = await startSimulator({ EXTENSION_PATH: example('fixed-chat.ts') });
    try {
      const client = azureClient(sim);
      const answer = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 500 });
      expect(answer.choices[0]!.finish_reason).toBe('stop');
      expect(answer.usage!.completion_tokens).toBe(10);
      expect(answer.id).toMatch(/^chatcmpl-fixed-/);
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 2, stream: true });
      let text = '';
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(finish).toBe('stop');
      expect(text.split(' ').length).toBeGreaterThan(2); // not cut at max_tokens: 2
      // Other operations keep their built-in generators.
      const embedding = await client.embeddings.create({ model: 'embedding', input: 'x' });
      expect(embedding.data[0]!.embedding.length).toBe(1536);
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });
});

describe('examples/response-header.ts', () => {
  it('adds a header to every response: generated, streamed, errors and unknown routes', async () => {
    const sim = await startSimulator({ EXTENSION_PATH: example('response-header.ts') });
    try {
      const client = azureClient(sim);
      const { response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 }).withResponse();
      expect(response.headers.get('x-simulator-extension')).toBe('response-header');
      expect(response.headers.get('x-simulator-path')).toBe('/openai/deployments/gpt-4o/chat/completions');
      const streamed = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 2, stream: true }).withResponse();
      expect(streamed.response.headers.get('x-simulator-extension')).toBe('response-header');
      for await (const _ of streamed.data) {
        // drain
      }
      const denied = await fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, { method: 'POST', headers: { 'api-key': 'wrong' }, body: '{}' });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('x-simulator-extension')).toBe('response-header');
      const missing = await fetch(`${sim.url}/nowhere`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('x-simulator-extension')).toBe('response-header');
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });
});

describe('examples/document-intelligence (a TypeScript folder)', () => {
  const analyzePath = '/formrecognizer/documentModels/prebuilt-receipt:analyze?api-version=2023-07-31';

  it('analyze → 202 + Operation-Location, polled: running, then succeeded with one page; wrong key → 401', async () => {
    // 100 KB a second: a 150 KB document is "running" for 1.5 s.
    const sim = await startSimulator({ EXTENSION_PATH: example('document-intelligence'), DOC_INTELLIGENCE_BYTES_PER_SECOND: '100000' });
    try {
      const key = { 'ocp-apim-subscription-key': sim.apiKey };
      const denied = await fetch(sim.url + analyzePath, { method: 'POST', headers: { 'ocp-apim-subscription-key': 'wrong' }, body: 'x' });
      expect(denied.status).toBe(401);
      const accepted = await fetch(sim.url + analyzePath, { method: 'POST', headers: key, body: Buffer.alloc(150_000, 1) });
      expect(accepted.status).toBe(202);
      expect(await accepted.text()).toBe('');
      const location = accepted.headers.get('operation-location')!;
      expect(location).toMatch(/\/formrecognizer\/documentModels\/prebuilt-receipt\/analyzeResults\/[\w-]+\?api-version=2023-07-31$/);
      const poll = async (): Promise<{ status: string; analyzeResult?: { pages: unknown[]; modelId: string; documents: { docType: string }[] } }> => {
        const res = await fetch(location.replace(/^http:\/\/[^/]+/, sim.url), { headers: key });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        return (await res.json()) as never;
      };
      expect((await poll()).status).toBe('running');
      let result = await poll();
      for (let i = 0; i < 100 && result.status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        result = await poll();
      }
      expect(result.status).toBe('succeeded');
      expect(result.analyzeResult!.pages).toHaveLength(1);
      expect(result.analyzeResult!.modelId).toBe('prebuilt-receipt');
      expect(result.analyzeResult!.documents[0]!.docType).toBe('receipt.retailMeal');
      const unknown = await fetch(`${sim.url}/formrecognizer/documentModels/prebuilt-receipt/analyzeResults/not-an-id`, { headers: key });
      expect(unknown.status).toBe(404);
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });

  it('has its own requests-per-second limiter, shared by the threads: DOC_INTELLIGENCE_RPS=1 and two requests → a 429', async () => {
    const sim = await startSimulator({ EXTENSION_PATH: example('document-intelligence'), DOC_INTELLIGENCE_RPS: '1' });
    try {
      const send = () => fetch(`${sim.url}/documentintelligence/documentModels/prebuilt-read:analyze`, { method: 'POST', headers: { 'ocp-apim-subscription-key': sim.apiKey }, body: 'x' });
      const answers = await Promise.all([send(), send(), send(), send()]);
      const statuses = answers.map((a) => a.status);
      expect(statuses).toContain(202);
      expect(statuses).toContain(429);
      const refused = answers.find((a) => a.status === 429)!;
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('429');
      expect(body.error.message).toContain('Doc Intelligence API Simulator have exceeded call rate limit');
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });
});
