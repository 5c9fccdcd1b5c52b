/**
 * Record and replay of the issue-13 operations: a generate-mode simulator stands in for the live
 * service (it speaks the same wire), a record-mode simulator relays to it and writes the files,
 * and a replay-mode simulator on the same folder, with the upstream gone, answers a tool
 * conversation turn by turn (streams included), a structured answer, the models list and an image
 * — matching bodies whose `user`, `metadata` and key order differ (RECORDING_IGNORE_BODY_FIELDS).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { API_VERSION, azureClient } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const tools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'], additionalProperties: false }, strict: true } },
];
const question = { role: 'user' as const, content: 'lookup the answer' };

describe('record, then replay, tools and friends', () => {
  let upstream: Simulator;
  let recorder: Simulator;
  let replayer: Simulator | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-rec13-'));
  const recorded: { first?: OpenAI.ChatCompletion; second?: OpenAI.ChatCompletion; stream?: string; models?: string } = {};

  beforeAll(async () => {
    upstream = await startSimulator();
    recorder = await startSimulator({ SIMULATOR_MODE: 'record', RECORDING_DIR: dir, AZURE_OPENAI_ENDPOINT: upstream.url + '/', AZURE_OPENAI_KEY: upstream.apiKey });
  });
  afterAll(async () => {
    await replayer?.stop();
    await recorder.stop();
    await upstream.stop();
  });

  const rawPost = (sim: Simulator, path: string, body: string) =>
    fetch(`${sim.url}${path}?api-version=${API_VERSION}`, { method: 'POST', headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' }, body });

  it('records a tool conversation (JSON and streamed), the models list and an image', async () => {
    const client = azureClient(recorder);
    recorded.first = await client.chat.completions.create({ model: 'gpt-4o', messages: [question], tools, user: 'alice' });
    const call = recorded.first.choices[0]!.message.tool_calls![0]!;
    expect(call.id).toMatch(/^call_/);
    recorded.second = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [question, recorded.first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'forty-two' }],
      tools,
      user: 'alice',
    });
    expect(recorded.second.choices[0]!.finish_reason).toBe('stop');
    const res = await rawPost(recorder, '/openai/deployments/gpt-4o/chat/completions', JSON.stringify({ messages: [question], tools, stream: true, metadata: { run: '1' } }));
    recorded.stream = await res.text();
    expect(recorded.stream).toContain('"tool_calls":[{"index":0,"id":"call_');
    const models = await fetch(`${recorder.url}/openai/models?api-version=${API_VERSION}`, { headers: { 'api-key': recorder.apiKey } });
    expect(models.status).toBe(200);
    recorded.models = await models.text();
    const image = await rawPost(recorder, '/openai/deployments/dall-e-3/images/generations', JSON.stringify({ prompt: 'a recorded image', response_format: 'b64_json' }));
    expect(image.status).toBe(200);
    const saved = await fetch(`${recorder.url}/++/save-recordings`, { method: 'POST', headers: { 'api-key': recorder.apiKey } });
    expect(saved.status).toBe(200);
  });

  it('replays them with the upstream gone, turn by turn, ignoring user, metadata and key order', async () => {
    await recorder.stop();
    await upstream.stop();
    replayer = await startSimulator({ SIMULATOR_MODE: 'replay', RECORDING_DIR: dir, RECORDING_IGNORE_BODY_FIELDS: 'user,metadata' });
    const client = azureClient(replayer);
    const first = await client.chat.completions.create({ tools, messages: [question], model: 'gpt-4o', user: 'bob' });
    expect(first.choices[0]!.message.tool_calls).toEqual(recorded.first!.choices[0]!.message.tool_calls);
    const call = first.choices[0]!.message.tool_calls![0]!;
    const second = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [question, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'forty-two' }],
      tools,
    });
    expect(second.choices[0]!.message.content).toBe(recorded.second!.choices[0]!.message.content);
    // Same request, other key order and metadata: the recorded stream, event for event.
    const res = await rawPost(replayer, '/openai/deployments/gpt-4o/chat/completions', JSON.stringify({ stream: true, metadata: { run: '2' }, tools, messages: [question] }));
    expect(await res.text()).toBe(recorded.stream);
    const models = await fetch(`${replayer.url}/openai/models?api-version=${API_VERSION}`, { headers: { 'api-key': replayer.apiKey } });
    expect(await models.text()).toBe(recorded.models);
    const image = await rawPost(replayer, '/openai/deployments/dall-e-3/images/generations', JSON.stringify({ response_format: 'b64_json', prompt: 'a recorded image' }));
    expect(image.status).toBe(200);
    // A body that differs in a field that is not ignored is a miss.
    const miss = await rawPost(replayer, '/openai/deployments/gpt-4o/chat/completions', JSON.stringify({ messages: [{ role: 'user', content: 'something else' }], tools }));
    expect(miss.status).toBe(500);
    expect((await miss.json()).error.code).toBe('RecordingNotFound');
  });
});
