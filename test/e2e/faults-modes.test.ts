/**
 * Faults in record and replay modes: an answer fault is never forwarded upstream, the
 * fault headers never reach the upstream, an answer a fault changed is never recorded, and replayed
 * streams are cut, stalled or filtered like generated ones.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, faultHeaders } from '../helpers/clients.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const messages = [{ role: 'user' as const, content: 'fault me' }];
let upstream: FakeUpstream;
let recorder: Simulator;
const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-faults-rec-'));

const client = (sim: Simulator, fault?: string): AzureOpenAI =>
  new AzureOpenAI({ endpoint: sim.url, apiKey: sim.apiKey, apiVersion: API_VERSION, maxRetries: 0, defaultHeaders: faultHeaders(fault) });

beforeAll(async () => {
  upstream = await startFakeUpstream();
  recorder = await startSimulator({ SIMULATOR_MODE: 'record', RECORDING_DIR: dir, AZURE_OPENAI_ENDPOINT: upstream.url + '/', AZURE_OPENAI_KEY: 'upstream-key', SIMULATOR_FAULT_HEADERS: 'on', RECORDING_AUTOSAVE: 'false' });
});
afterAll(async () => {
  expect(await recorder.stop()).toBe(0);
  await upstream.close();
});

describe('record mode', () => {
  it('an answer fault is answered by the simulator and never forwarded', async () => {
    const before = upstream.seen.length;
    const err = await client(recorder, '503').chat.completions.create({ model: 'gpt4o', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('x-simulator-fault-injected')).toBe('503');
    expect(upstream.seen.length).toBe(before);
  });

  it('a write fault changes the relayed stream, strips the fault header upstream, and is not recorded', async () => {
    const stream = await client(recorder, 'content_filter_completion;after_chunks=3').chat.completions.create({ model: 'gpt4o', messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('content_filter');
    expect(chunks.at(-1)!.id).toMatch(/^chatcmpl-upstream-/);
    expect(upstream.seen.at(-1)!.simulatorHeaders).toEqual([]);
    // Not recorded, so the same request without a fault goes upstream again and is recorded now.
    const seen = upstream.seen.length;
    const clean = await client(recorder).chat.completions.create({ model: 'gpt4o', messages, stream: true });
    const cleanChunks = [];
    for await (const chunk of clean) cleanChunks.push(chunk);
    expect(upstream.seen.length).toBe(seen + 1);
    expect(cleanChunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    const saved = await fetch(`${recorder.url}/++/save-recordings`, { method: 'POST', headers: { 'api-key': recorder.apiKey } });
    expect(saved.status).toBe(200);
    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(files).not.toContain('content_filter"');
    expect((files.match(/fault me/g) ?? []).length).toBe(1);
  });
});

describe('replay mode', () => {
  let replayer: Simulator;
  beforeAll(async () => {
    replayer = await startSimulator({ SIMULATOR_MODE: 'replay', RECORDING_DIR: dir, SIMULATOR_FAULT_HEADERS: 'on', LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    expect(await replayer.stop()).toBe(0);
  });

  it('a replayed stream is cut by disconnect, ends without [DONE] under no_done, and replays intact without a fault', async () => {
    const cut = await client(replayer, 'disconnect;after_chunks=3').chat.completions.create({ model: 'gpt4o', messages, stream: true });
    let parts = 0;
    const err = await (async () => {
      for await (const _ of cut) parts++;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(parts).toBeLessThanOrEqual(3);

    const noDone = await client(replayer, 'no_done').chat.completions.create({ model: 'gpt4o', messages, stream: true }).asResponse();
    const text = await noDone.text();
    expect(text).toContain('"finish_reason":"stop"');
    expect(text).not.toContain('[DONE]');

    const intact = await client(replayer).chat.completions.create({ model: 'gpt4o', messages, stream: true });
    const chunks = [];
    for await (const chunk of intact) chunks.push(chunk);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('an answer fault in replay mode is a 429 like the live service', async () => {
    const err = await client(replayer, '429;variant=high_demand').chat.completions.create({ model: 'gpt4o', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as Error).message).toContain('experiencing high demand');
    // …and is in the log at debug level, with its source and deployment.
    await new Promise((r) => setTimeout(r, 100));
    expect(replayer.stderr()).toMatch(/DEBUG .*POST \/openai\/deployments\/gpt4o\/chat\/completions: fault 429;variant=high_demand injected \(header, deployment gpt4o\)/);
  });
});
