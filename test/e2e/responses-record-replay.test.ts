/**
 * The Responses API in record and replay modes: a simulator in generate mode (latency on) is the
 * upstream, a second one records through it, a third replays the files with the upstream gone —
 * the same objects, streams with their events in order and their recorded pacing, the replayed
 * responses retrievable and listable without their GET having been recorded, a recorded
 * conversation (previous_response_id) replayed turn by turn, and the rate limit charged on replay.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEventSequence, parseEventStream } from '../helpers/response-events.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const client = (sim: Simulator): OpenAI => new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: sim.apiKey, maxRetries: 0 });

async function rawStream(sim: Simulator, body: object): Promise<{ text: string; firstDeltaMs: number }> {
  const started = performance.now();
  const res = await fetch(`${sim.url}/openai/v1/responses`, { method: 'POST', headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });
  const reader = res.body!.getReader();
  let text = '';
  let firstDeltaMs = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
    if (firstDeltaMs === 0 && text.includes('response.output_text.delta')) firstDeltaMs = performance.now() - started;
  }
  return { text, firstDeltaMs };
}

describe('Responses: record, then replay', () => {
  let upstream: Simulator;
  let recorder: Simulator;
  let replayer: Simulator;
  const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-resp-'));
  const recorded: { json?: OpenAI.Responses.Response; second?: OpenAI.Responses.Response; stream?: string } = {};

  beforeAll(async () => {
    upstream = await startSimulator({ LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: '2', LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0', LATENCY_OPENAI_CHAT_COMPLETIONS_TTFT_MEAN: '200' });
    recorder = await startSimulator({ SIMULATOR_MODE: 'record', RECORDING_DIR: dir, AZURE_OPENAI_ENDPOINT: upstream.url + '/', AZURE_OPENAI_KEY: upstream.apiKey });
    recorded.json = await client(recorder).responses.create({ model: 'gpt-4o', input: 'Record me.', instructions: 'Briefly.' });
    recorded.second = await client(recorder).responses.create({ model: 'gpt-4o', input: 'And then?', previous_response_id: recorded.json.id });
    recorded.stream = (await rawStream(recorder, { model: 'gpt-4o', input: 'Record a stream.' })).text;
    expect((await fetch(`${recorder.url}/++/save-recordings`, { method: 'POST', headers: { 'api-key': recorder.apiKey } })).status).toBe(200);
    await upstream.stop();
    // A deployment with a small budget: replayed answers are charged like generated ones.
    const config = join(dir, 'deployments.json');
    writeFileSync(config, JSON.stringify({ 'gpt-4o': { model: 'gpt-4o', tokensPerMinute: 100000 } }));
    replayer = await startSimulator({ SIMULATOR_MODE: 'replay', RECORDING_DIR: dir, OPENAI_DEPLOYMENT_CONFIG_PATH: config });
  });
  afterAll(async () => {
    await recorder?.stop();
    await replayer?.stop();
  });

  it('relayed the upstream answers while recording (the stream with every event)', () => {
    expect(recorded.json!.status).toBe('completed');
    expect(recorded.second!.usage!.input_tokens_details.cached_tokens).toBeGreaterThan(0);
    expect(checkEventSequence(parseEventStream(recorded.stream!)).status).toBe('completed');
  });

  it('replays the JSON answers, the conversation turn included, with x-ratelimit headers from the local budget', async () => {
    const { data, response } = await client(replayer).responses.create({ model: 'gpt-4o', input: 'Record me.', instructions: 'Briefly.' }).withResponse();
    expect(data).toEqual(recorded.json);
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(100000 - 16));
    const second = await client(replayer).responses.create({ model: 'gpt-4o', input: 'And then?', previous_response_id: recorded.json!.id });
    expect(second).toEqual(recorded.second);
  });

  it('serves a replayed response and its input items from the store, then deletes it', async () => {
    const sim = client(replayer);
    await sim.responses.create({ model: 'gpt-4o', input: 'Record me.', instructions: 'Briefly.' });
    const retrieved = await sim.responses.retrieve(recorded.json!.id);
    expect(retrieved.output_text).toBe(recorded.json!.output_text);
    const items = await sim.responses.inputItems.list(recorded.json!.id);
    expect(items.data.map((item) => (item.type === 'message' ? (item.content[0] as { text: string }).text : ''))).toEqual(['Record me.']);
    await sim.responses.delete(recorded.json!.id);
    await expect(sim.responses.retrieve(recorded.json!.id)).rejects.toMatchObject({ status: 404 });
  });

  it('replays the stream event by event, paced as recorded (the first delta after the recorded time to first token)', async () => {
    const { text, firstDeltaMs } = await rawStream(replayer, { model: 'gpt-4o', input: 'Record a stream.' });
    expect(text).toBe(recorded.stream);
    checkEventSequence(parseEventStream(text));
    // A lower bound only: the recorded stream's first token came after a 200 ms time to first token.
    expect(firstDeltaMs).toBeGreaterThanOrEqual(150);
    // Its stored object is there too.
    const final = checkEventSequence(parseEventStream(text));
    expect((await client(replayer).responses.retrieve(final.id as string)).id).toBe(final.id);
  });
});
