/**
 * The issue-13 core pieces, directly: the tool-turn policy and its 400s, structured outputs,
 * token pieces, Entra ID token checks, the listings, image request rules and the PNG encoder
 * (decoded by pngjs), and the `/++/config` agent field.
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPair, SignJWT } from 'jose';
import { PNG } from 'pngjs';
import { DEFAULT_AGENT_POLICY, type AgentPolicy } from '../../src/core/generation/agent-policy.js';
import { planToolTurn, toolRequest } from '../../src/core/generation/tools.js';
import { structuredSchema } from '../../src/core/generation/structured.js';
import { tokenPieces } from '../../src/core/generation/pieces.js';
import { getEncoding } from '../../src/core/tokens/tokenizer.js';
import { ApiErrorResponse, errorBody } from '../../src/core/errors.js';
import { checkEntraToken, DEFAULT_AUDIENCES, type EntraSettings } from '../../src/core/auth/entra.js';
import { azureModelsJson, deploymentsJson, openaiModelsJson } from '../../src/core/wire/models-listing.js';
import { generateImages, imageForPath } from '../../src/core/generation/images.js';
import { cellPng } from '../../src/core/generation/png.js';
import { makeDeployment } from '../../src/core/config/deployments.js';
import { findModel } from '../../src/core/models.js';
import { applyConfigPatch, configJson, ConfigPatchError, type RuntimeConfig } from '../../src/core/config/runtime-config.js';
import { parseSettings } from '../../src/core/config/settings.js';
import { seededRandom } from '../../src/core/random.js';

const enc = getEncoding('o200k_base');
const tool = (name: string, parameters: object = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }) => ({ type: 'function', function: { name, parameters } });
const user = (content: string) => [{ role: 'user', content }];

function apiError(f: () => unknown): { status: number; code: string | null; param: string | null; message: string } {
  try {
    f();
  } catch (err) {
    if (err instanceof ApiErrorResponse) return err.apiError;
    throw err;
  }
  throw new Error('expected an API error');
}

describe('tool turns', () => {
  const policy = DEFAULT_AGENT_POLICY;
  const turn = (body: Record<string, unknown>, messages = user('hello'), p: AgentPolicy = policy) => planToolTurn(toolRequest(body, p), messages, p, enc, undefined, seededRandom(7));

  it('auto calls the first tool, or the ones the user names (parallel), one when parallel is off', () => {
    const tools = [tool('alpha'), tool('beta'), tool('gamma')];
    expect(turn({ tools })!.calls.map((c) => c.name)).toEqual(['alpha']);
    expect(turn({ tools }, user('use gamma then beta'))!.calls.map((c) => c.name)).toEqual(['beta', 'gamma']);
    expect(turn({ tools, parallel_tool_calls: false }, user('use gamma then beta'))!.calls.map((c) => c.name)).toEqual(['beta']);
  });

  it('none and after a tool result answer text; required and named still call; the policy can make auto answer', () => {
    const tools = [tool('alpha')];
    const afterTool = [...user('x'), { role: 'assistant', content: null }, { role: 'tool', tool_call_id: 'call_1', content: '1' }];
    expect(turn({ tools, tool_choice: 'none' })).toBeUndefined();
    expect(turn({ tools }, afterTool)).toBeUndefined();
    expect(turn({ tools, tool_choice: 'required' }, afterTool)!.finishReason).toBe('tool_calls');
    expect(turn({ tools, tool_choice: { type: 'function', function: { name: 'alpha' } } })!.finishReason).toBe('stop');
    expect(turn({ tools }, user('x'), { ...policy, toolChoiceAuto: 'answer' })).toBeUndefined();
    expect(turn({ tools, tool_choice: 'required' }, user('x'), { ...policy, requiredToolFinishReason: 'stop' })!.finishReason).toBe('stop');
  });

  it('legacy functions answer one function_call; a completion limit cuts the arguments with length', () => {
    const legacy = turn({ functions: [{ name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a', 'b'] } }] })!;
    expect(legacy.legacy).toBe(true);
    expect(legacy.finishReason).toBe('function_call');
    const cut = planToolTurn(toolRequest({ tools: [tool('alpha')] }, policy), user('x'), policy, enc, 3)!;
    expect(cut.finishReason).toBe('length');
    expect(cut.completionTokens).toBe(3);
  });

  it('counts exactly: name tokens plus argument tokens, and the stream pieces join to the arguments', () => {
    const t = turn({ tools: [tool('lookup_weather')] })!;
    const c = t.calls[0]!;
    expect(c.pieces.join('')).toBe(c.arguments);
    expect(t.completionTokens).toBe(enc.encode('lookup_weather').length + enc.encode(c.arguments).length);
  });

  it("rejects bad definitions and choices with the service's 400s", () => {
    expect(apiError(() => toolRequest({ tools: [{ type: 'function' }] }, policy))).toMatchObject({ status: 400, param: 'tools[0].function' });
    expect(apiError(() => toolRequest({ tools: [tool('bad name')] }, policy)).message).toContain("string does not match pattern");
    expect(apiError(() => toolRequest({ tools: [tool('x'.repeat(65))] }, policy)).code).toBe('string_above_max_length');
    expect(apiError(() => toolRequest({ tool_choice: 'auto' }, policy)).message).toContain("'tool_choice' is only allowed when 'tools' are specified.");
    expect(apiError(() => toolRequest({ tools: [tool('a')], tool_choice: 'sometimes' }, policy)).param).toBe('tool_choice');
    expect(apiError(() => toolRequest({ tools: [tool('a')], parallel_tool_calls: 'yes' }, policy)).param).toBe('parallel_tool_calls');
    const strict = { type: 'function', function: { name: 's', strict: true, parameters: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } } };
    expect(apiError(() => toolRequest({ tools: [strict] }, policy))).toMatchObject({ code: 'invalid_function_parameters', param: 'tools[0].function.parameters' });
    expect(toolRequest({ tools: [strict] }, { ...policy, strictSchemas: 'off' }).tools).toHaveLength(1);
  });
});

describe('structured outputs', () => {
  it("json_object needs the word json; json_schema checks name and (strict) schema; text is no schema", () => {
    expect(structuredSchema({ response_format: { type: 'text' } }, [], DEFAULT_AGENT_POLICY)).toBeUndefined();
    expect(apiError(() => structuredSchema({ response_format: { type: 'json_object' } }, [{ role: 'user', content: 'hi' }], DEFAULT_AGENT_POLICY)).param).toBe('messages');
    expect(structuredSchema({ response_format: { type: 'json_object' } }, [{ role: 'system', content: 'Reply in JSON' }], DEFAULT_AGENT_POLICY)).toBeDefined();
    expect(apiError(() => structuredSchema({ response_format: { type: 'json_schema', json_schema: { schema: {} } } }, [], DEFAULT_AGENT_POLICY)).param).toBe('response_format.json_schema.name');
    expect(apiError(() => structuredSchema({ response_format: { type: 'xml' } }, [], DEFAULT_AGENT_POLICY)).param).toBe('response_format.type');
    const bad = apiError(() => structuredSchema({ response_format: { type: 'json_schema', json_schema: { name: 'r', strict: true, schema: { type: 'object', properties: {}, additionalProperties: false, required: [], oneOf: [] } } } }, [], DEFAULT_AGENT_POLICY));
    expect(bad).toMatchObject({ code: 'invalid_json_schema', message: "Invalid schema for response_format 'r': In context=(), 'oneOf' is not permitted." });
  });

  it('token pieces: one per token, multi-byte characters never split, cut at a limit', () => {
    const text = '{"name":"Zoë 🚀 café"}';
    const p = tokenPieces(text, enc);
    expect(p.tokens.join('')).toBe(text);
    expect(p.count).toBe(enc.encode(text).length);
    for (const piece of p.tokens) expect(piece).not.toContain('\uFFFD');
    const cut = tokenPieces(text, enc, 2);
    expect([cut.count, cut.truncated]).toEqual([2, true]);
  });
});

describe('Entra ID token checks', () => {
  const settings: EntraSettings = { enabled: true, audiences: DEFAULT_AUDIENCES, tenants: [], clockSkewSeconds: 60 };
  const now = 1_800_000_000;
  const make = async (claims: Record<string, unknown>) => {
    const { privateKey } = await generateKeyPair('ES256');
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(privateKey);
  };

  it('accepts the audiences within exp/nbf (with skew); refuses the rest', async () => {
    expect(checkEntraToken(await make({ aud: 'https://cognitiveservices.azure.com', exp: now + 10 }), settings, now)).toBe('accepted');
    expect(checkEntraToken(await make({ aud: ['x', 'https://ai.azure.com'], exp: now + 10 }), settings, now)).toBe('accepted');
    expect(checkEntraToken(await make({ aud: 'https://cognitiveservices.azure.com', exp: now - 30 }), settings, now)).toBe('accepted'); // within skew
    expect(checkEntraToken(await make({ aud: 'https://cognitiveservices.azure.com', exp: now - 120 }), settings, now)).toBe('invalid');
    expect(checkEntraToken(await make({ aud: 'https://cognitiveservices.azure.com', exp: now + 999, nbf: now + 120 }), settings, now)).toBe('invalid');
    expect(checkEntraToken(await make({ aud: 'https://graph.microsoft.com', exp: now + 10 }), settings, now)).toBe('invalid');
    expect(checkEntraToken(await make({ aud: 'https://cognitiveservices.azure.com' }), settings, now)).toBe('invalid'); // no exp
    expect(checkEntraToken('just-a-key', settings, now)).toBe('not-a-jwt');
    expect(checkEntraToken('eyJhbGciOiJub25lIn0.bm90IGpzb24.x', settings, now)).toBe('invalid');
    const tenants = { ...settings, tenants: ['t1'] };
    expect(checkEntraToken(await make({ aud: 'https://ai.azure.com', exp: now + 10, tid: 't2' }), tenants, now)).toBe('tenant-not-allowed');
    expect(checkEntraToken(await make({ aud: 'https://ai.azure.com', exp: now + 10, tid: 't1' }), tenants, now)).toBe('accepted');
  });
});

describe('listings', () => {
  const deployments = new Map([['my-gpt', makeDeployment('my-gpt', findModel('gpt-4o')!)]]);
  it('Azure catalogue, OpenAI list with deployments first, legacy deployments', () => {
    const azure = JSON.parse(azureModelsJson());
    expect(azure.object).toBe('list');
    expect(azure.data.find((m: { id: string }) => m.id === 'text-embedding-3-small').capabilities.embeddings).toBe(true);
    const openai = JSON.parse(openaiModelsJson(deployments));
    expect(openai.data[0]).toMatchObject({ id: 'my-gpt', object: 'model', owned_by: 'organization-owner' });
    expect(JSON.parse(deploymentsJson(deployments)).data[0]).toMatchObject({ id: 'my-gpt', model: 'gpt-4o', object: 'deployment' });
  });
});

describe('images', () => {
  const dalle = makeDeployment('d', findModel('dall-e-3')!);
  const gptImage = makeDeployment('g', findModel('gpt-image-1')!);
  const options = { answerLength: 'natural' as const, images: { origin: 'http://sim:1', urlTtlSeconds: 60, blockedWords: ['nope'] } };

  it('the PNG encoder writes decodable images of any size that differ by seed', () => {
    for (const [w, h] of [[1, 1], [7, 3], [1024, 1792], [1536, 1024]] as const) {
      const png = PNG.sync.read(cellPng(w, h, 42));
      expect([png.width, png.height]).toEqual([w, h]);
    }
    expect(Buffer.compare(PNG.sync.read(cellPng(64, 64, 1)).data, PNG.sync.read(cellPng(64, 64, 2)).data)).not.toBe(0);
  });

  it('dall-e-3 url answers name a link the simulator serves until it expires', () => {
    const answer = generateImages({ prompt: 'a cat' }, dalle, options);
    if (answer.kind !== 'json') throw new Error('expected JSON');
    const url = new URL(JSON.parse(answer.body).data[0].url);
    expect(url.origin).toBe('http://sim:1');
    const [, , , size, file] = url.pathname.split('/');
    const se = Number(url.searchParams.get('se'));
    expect(PNG.sync.read(imageForPath(size!, file!, url.search, se - 1)!).width).toBe(1024);
    expect(imageForPath(size!, file!, url.search, se + 1)).toBeUndefined();
    expect(imageForPath('99999x1', file!, url.search, se - 1)).toBeUndefined();
  });

  it("each model's rules", () => {
    expect(apiError(() => generateImages({ prompt: 'x', n: 2 }, dalle, options)).param).toBe('n');
    expect(apiError(() => generateImages({ prompt: 'x', quality: 'low' }, dalle, options)).param).toBe('quality');
    expect(apiError(() => generateImages({ prompt: 'x', style: 'vivid' }, gptImage, options)).code).toBe('unknown_parameter');
    expect(apiError(() => generateImages({ prompt: 'x', output_format: 'webp' }, gptImage, options)).param).toBe('output_format');
    const blocked = apiError(() => generateImages({ prompt: 'NOPE' }, dalle, options)) as Parameters<typeof errorBody>[0];
    expect(JSON.parse(errorBody(blocked)).error.code).toBe('content_policy_violation');
    const g = generateImages({ prompt: 'x', n: 3, quality: 'medium' }, gptImage, options);
    expect(g.kind === 'json' && [g.completionTokens, g.images]).toEqual([3 * 1056, 3]);
  });
});

describe('/++/config agent field', () => {
  const settings = parseSettings({}, 2);
  const config: RuntimeConfig = { mode: 'generate', latency: settings.latency, allowUndefinedDeployments: true, deployments: {}, agent: settings.agent };
  it('shows and patches the policy; refuses unknown fields and values', () => {
    expect(JSON.parse(configJson(config, new Map())).agent).toEqual({ tool_choice_auto: 'call', named_tool_finish_reason: 'stop', required_tool_finish_reason: 'tool_calls', strict_schema_rules: 'openai' });
    const next = applyConfigPatch(config, { agent: { tool_choice_auto: 'answer', strict_schema_rules: 'azure-doc' } });
    expect(next.agent).toMatchObject({ toolChoiceAuto: 'answer', strictSchemas: 'azure-doc', namedToolFinishReason: 'stop' });
    expect(() => applyConfigPatch(config, { agent: { tool_choice_auto: 'maybe' } })).toThrow(ConfigPatchError);
    expect(() => applyConfigPatch(config, { agent: { colour: 'red' } })).toThrow(/agent.colour is not a setting/);
  });
  it('settings: bad values name the variable', () => {
    expect(() => parseSettings({ SIMULATOR_TOOL_CHOICE_AUTO: 'often' }, 2)).toThrow(/SIMULATOR_TOOL_CHOICE_AUTO/);
    expect(parseSettings({ SIMULATOR_ENTRA_TENANTS: 'a, b', RECORDING_IGNORE_BODY_FIELDS: 'user,metadata' }, 2)).toMatchObject({ entra: { tenants: ['a', 'b'] }, recordingIgnoreBodyFields: ['user', 'metadata'] });
  });
});
