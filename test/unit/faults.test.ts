/**
 * The pure parts of fault injection (core/faults): spec and configuration parsing with errors that
 * name the bad value, the precedence of scopes, schedules, and the seeded draw — repeatable request
 * for request and within statistical bounds over 10,000 requests.
 */
import { describe, expect, it } from 'vitest';
import { faultAnswer, filteredFinishEvent, filteredWholeBody } from '../../src/core/faults/catalogue.js';
import { FaultConfigError, faultsFromStore, faultsToStore, parseFaultConfig, parseFaultSpec, type FaultConfig } from '../../src/core/faults/config.js';
import { streamShape } from '../../src/core/faults/streams.js';
import { decider, pick, SharedSequences, unitDraw } from '../../src/core/faults/select.js';
import { applyConfigPatch, configJson, ConfigPatchError, type RuntimeConfig } from '../../src/core/config/runtime-config.js';
import { parseSettings } from '../../src/core/config/settings.js';

const config = (value: unknown): FaultConfig => parseFaultConfig(value)!;

/** Draws `n` requests from a scope the way the fault step does: the shared sequence's ordinal, then pick. */
function draws(faults: FaultConfig, scenario: string, n: number): string[] {
  const sequences = new SharedSequences(faults.cursors);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = decider(faults, '', scenario, 'gpt-4o');
    if (d?.kind !== 'scope') throw new Error('expected a scope');
    out.push(pick(d.scope, faults.seed, sequences.next(d.scope.slot) as number)?.name ?? 'ok');
  }
  return out;
}

describe('fault specs', () => {
  it('fills defaults and reads parameters', () => {
    expect(parseFaultSpec('429', 'h').params).toEqual({ retry_after_ms: 1000, variant: 'rate_limit' });
    expect(parseFaultSpec(' stall ; after_chunks=2; ms=10 ', 'h').params).toEqual({ after_chunks: 2, ms: 10 });
  });
  it.each([
    ['teapot', 'unknown fault "teapot"'],
    ['429;retry_after_sec=1', 'fault 429 has no parameter "retry_after_sec"'],
    ['429;variant=sometimes', '429 variant must be one of rate_limit, high_demand, got "sometimes"'],
    ['stall;ms=-1', 'stall ms must be a whole number between 0 and 600000, got "-1"'],
    ['drop;x=1', 'fault drop has no parameter "x" (it takes none)'],
  ])('%s is refused naming it', (text, message) => {
    expect(() => parseFaultSpec(text, 'x-simulator-fault')).toThrow(FaultConfigError);
    expect(() => parseFaultSpec(text, 'x-simulator-fault')).toThrow(`x-simulator-fault: ${message}`);
  });
});

describe('fault configuration', () => {
  it('is null when nothing is configured, so the request path tests one field', () => {
    expect(parseFaultConfig(null)).toBeNull();
    expect(parseFaultConfig(undefined, 'faults', true)?.allowHeaders).toBe(true);
  });
  it.each([
    [{ global: { '500': 2 } }, 'faults.global.500 must be a rate between 0 and 1, got 2'],
    [{ global: { '500': 0.6, '503': 0.6 } }, 'faults.global: the rates add up to 1.2, more than 1'],
    [{ scenarios: { s: { schedule: [] } } }, 'faults.scenarios.s.schedule must be a list of 1 to 10000 faults or "ok"'],
    [{ scenarios: { s: { schedule: ['ok'], on_exhausted: 'again' } } }, 'faults.scenarios.s.on_exhausted must be one of loop, ok, repeat_last, got "again"'],
    [{ scenarios: { s: { schedule: ['ok'], rates: {} } } }, 'faults.scenarios.s needs exactly one of "rates" and "schedule"'],
    [{ seed: -1 }, 'faults.seed must be a whole number between 0 and 4294967295, got -1'],
    [{ rate: 0.1 }, 'faults.rate is not a fault setting (known: allow_headers, seed, global, deployments, scenarios)'],
    [{ deployments: { d: { '500;after_ms=1': 0.1 } } }, 'faults.deployments.d.500;after_ms=1: fault 500 has no parameter "after_ms" (it takes none)'],
  ])('%j is refused naming the value', (value, message) => {
    expect(() => parseFaultConfig(value)).toThrow(message);
  });
  it('is a PATCH field validated as a whole, echoed by GET, and cleared by null', () => {
    const runtime = { mode: 'generate', latency: parseSettings({}, 1).latency, allowUndefinedDeployments: true, deployments: {}, faults: null } as RuntimeConfig;
    const patched = applyConfigPatch(runtime, { faults: { seed: 3, global: { '500': 0.1 } } });
    expect(JSON.parse(configJson(patched, new Map())).faults).toEqual({ seed: 3, allow_headers: false, global: { '500': 0.1 } });
    expect(() => applyConfigPatch(runtime, { latency: {}, faults: { global: { nope: 0.1 } } })).toThrow(ConfigPatchError);
    expect(applyConfigPatch(patched, { faults: null }).faults).toBeNull();
  });
});

describe('selection', () => {
  const faults = config({
    allow_headers: true,
    global: { '500': 1 },
    deployments: { 'gpt-4o': { '503': 1 } },
    scenarios: { s: { schedule: ['429', 'ok'] } },
  });
  it('header → scenario → deployment → global, highest first', () => {
    expect(decider(faults, 'drop', 's', 'gpt-4o')).toMatchObject({ kind: 'fault', source: 'header', fault: { name: 'drop' } });
    expect(decider(faults, '', 's', 'gpt-4o')).toMatchObject({ kind: 'scope', source: 'scenario' });
    expect(decider(faults, '', '', 'gpt-4o')).toMatchObject({ kind: 'scope', source: 'deployment' });
    expect(decider(faults, '', '', 'other')).toMatchObject({ kind: 'scope', source: 'global' });
    expect(decider(faults, '', 'missing', 'gpt-4o')).toEqual({ kind: 'unknown-scenario', name: 'missing' });
  });
  it('ignores the fault header unless allowed', () => {
    const closed = config({ global: { '500': 1 } });
    expect(decider(closed, 'drop', '', 'x')).toMatchObject({ source: 'global' });
    expect(decider(config({}), '', '', 'x')).toBeNull();
  });
  it.each([
    ['ok', ['429', '429', 'ok', 'ok', 'ok', 'ok', 'ok']],
    ['loop', ['429', '429', 'ok', '429', '429', 'ok', '429']],
    ['repeat_last', ['429', '429', '500', '500', '500', '500', '500']],
  ])('a schedule exhausted with %s', (onExhausted, expected) => {
    const last = onExhausted === 'repeat_last' ? '500' : 'ok';
    const f = config({ scenarios: { s: { schedule: ['429', '429', last], on_exhausted: onExhausted } } });
    expect(draws(f, 's', 7)).toEqual(expected);
  });
});

describe('seeded rates', () => {
  const rated = (seed: number): FaultConfig => config({ seed, scenarios: { s: { rates: { '500': 0.1, '503': 0.05, '429': 0.2 } } } });

  it('the same seed gives the same faults request for request; another seed does not', () => {
    const first = draws(rated(42), 's', 10_000);
    expect(draws(rated(42), 's', 10_000)).toEqual(first);
    expect(draws(rated(43), 's', 10_000)).not.toEqual(first);
  });

  it('over 10,000 requests each fault stays within 4.5 standard deviations of its rate', () => {
    const n = 10_000;
    for (const seed of [0, 1, 42, 0xffffffff]) {
      const got = draws(rated(seed), 's', n);
      for (const [name, p] of [['500', 0.1], ['503', 0.05], ['429', 0.2], ['ok', 0.65]] as const) {
        const count = got.filter((g) => g === name).length;
        const sd = Math.sqrt(n * p * (1 - p));
        expect(Math.abs(count - n * p), `seed ${seed} fault ${name}: ${count}`).toBeLessThan(4.5 * sd);
      }
    }
  });

  it('draws are uniform and independent of neighbours (a chi-square over 20 bins, lag-1 correlation)', () => {
    const n = 10_000;
    const bins = new Array<number>(20).fill(0);
    let prev = unitDraw(5, 0, 0);
    let sxy = 0;
    let sx = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      const u = unitDraw(5, 0, i);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      bins[Math.floor(u * 20)]!++;
      if (i > 0) {
        sxy += prev * u;
        sx += u;
        sxx += u * u;
      }
      prev = u;
    }
    const expected = n / 20;
    const chi = bins.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(43.8); // 19 degrees of freedom, p = 0.001
    const m = sx / (n - 1);
    const corr = (sxy / (n - 1) - m * m) / (sxx / (n - 1) - m * m);
    expect(Math.abs(corr)).toBeLessThan(0.04);
  });

  it('scopes have their own sequences: one scope’s traffic does not move another’s draws', () => {
    const f = config({ seed: 9, scenarios: { a: { rates: { '500': 0.5 } }, b: { rates: { '500': 0.5 } } } });
    const alone = draws(config({ seed: 9, scenarios: { a: { rates: { '500': 0.5 } }, b: { rates: { '500': 0.5 } } } }), 'a', 50);
    draws(f, 'b', 17);
    expect(draws(f, 'a', 50)).toEqual(alone);
  });
});

describe('fault bodies', () => {
  it('the content filter 400 has innererror with content_filter_result (singular), images its own shape', () => {
    const spec = parseFaultSpec('content_filter_prompt;category=self_harm;severity=low', 'h');
    const chat = JSON.parse(faultAnswer(spec, 'chat', '2024-10-21', 'r').body).error;
    expect(chat).toMatchObject({ code: 'content_filter', param: 'prompt', status: 400, innererror: { code: 'ResponsibleAIPolicyViolation' } });
    expect(chat.innererror.content_filter_result.self_harm).toEqual({ filtered: true, severity: 'low' });
    expect(chat.innererror.content_filter_result.jailbreak).toEqual({ filtered: false, detected: false });
    expect(JSON.parse(faultAnswer(spec, 'images', '', 'r').body).error.code).toBe('content_policy_violation');
  });
  it('the 500 names the request id, the 429 the operation and api-version', () => {
    expect(JSON.parse(faultAnswer(parseFaultSpec('500', 'h'), 'chat', '', 'req-1').body).error.message).toContain('(Please include the request ID req-1 in your message.)');
    expect(JSON.parse(faultAnswer(parseFaultSpec('429', 'h'), 'embeddings', '2024-02-01', 'r').body).error.message).toContain('Embeddings_Create Operation under Azure OpenAI API version 2024-02-01');
  });
  it('content_filter_completion: the filtered finish event and whole body', () => {
    const spec = parseFaultSpec('content_filter_completion', 'h');
    const event = JSON.parse(filteredFinishEvent('chat', { id: 'chatcmpl-1', created: 5, model: 'gpt-4o' }, spec).slice(6));
    expect(event).toMatchObject({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ finish_reason: 'content_filter', delta: {} }] });
    const body = filteredWholeBody('completions', JSON.stringify({ choices: [{ text: 'hi', finish_reason: 'stop' }] }), spec)!;
    expect(JSON.parse(body).choices[0]).toMatchObject({ text: '', finish_reason: 'content_filter', content_filter_results: { violence: { filtered: true } } });
    expect(filteredWholeBody('chat', 'not json', spec)).toBeUndefined();
  });
});

describe('names from the configuration and headers are data, never the prototype', () => {
  it('a scenario or deployment called __proto__ or constructor is an ordinary name', () => {
    // JSON.parse makes `__proto__` an own key, as a PATCH body or SIMULATOR_FAULTS would.
    const f = config(JSON.parse('{"deployments": {"__proto__": {"500": 1}}, "scenarios": {"constructor": {"schedule": ["503"]}}}'));
    expect(decider(f, '', '', '__proto__')).toMatchObject({ kind: 'scope', source: 'deployment' });
    expect(decider(f, '', 'constructor', 'x')).toMatchObject({ kind: 'scope', source: 'scenario' });
    expect(decider(config({}), '', 'toString', 'x')).toEqual({ kind: 'unknown-scenario', name: 'toString' });
    expect(decider(config({ global: { '500': 1 } }), '', '', 'constructor')).toMatchObject({ source: 'global' });
    expect(() => parseFaultSpec('429;constructor=1', 'h')).toThrow('fault 429 has no parameter "constructor"');
  });
});

describe('the shared store form and the Responses stream shape', () => {
  it('a fault configuration survives JSON (the shared store) with its epoch and working cursors', () => {
    const original = config({ seed: 3, scenarios: { s: { schedule: ['500', 'ok'], on_exhausted: 'loop' } } });
    const revived = faultsFromStore(JSON.parse(JSON.stringify(faultsToStore(original))))!;
    expect(revived.epoch).toBe(original.epoch);
    expect(revived.wire).toEqual(original.wire);
    expect(draws(revived, 's', 4)).toEqual(['500', 'ok', '500', 'ok']);
    // Parsing anew (a PATCH) is a new configuration: a new epoch.
    expect(config(original.wire).epoch).not.toBe(original.epoch);
  });

  it('ResponsesTrace rebuilds the partial output for the filtered end, sequence numbers continued', () => {
    const shape = streamShape('responses');
    const frame = (data: Record<string, unknown>): string => `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
    const events = [
      frame({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [] } }),
      frame({ type: 'response.output_item.added', sequence_number: 1, output_index: 0, item: { id: 'msg_1', type: 'message', status: 'in_progress', content: [], role: 'assistant' } }),
      frame({ type: 'response.content_part.added', sequence_number: 2, item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '' } }),
      frame({ type: 'response.output_text.delta', sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hel' }),
      frame({ type: 'response.output_text.delta', sequence_number: 4, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'lo' }),
    ];
    for (const e of events) shape.see(e);
    expect(shape.isEnd(frame({ type: 'response.completed', sequence_number: 9, response: {} }))).toBe(true);
    expect(shape.isEnd(events[3]!)).toBe(false);
    const end = shape.filteredEnd(parseFaultSpec('content_filter_completion;category=sexual', 'h'), 5, 12);
    const data = JSON.parse(end.split('\ndata: ')[1]!) as { type: string; sequence_number: number; response: Record<string, unknown> };
    expect(data.type).toBe('response.incomplete');
    expect(data.sequence_number).toBe(5);
    expect(data.response).toMatchObject({ id: 'resp_1', status: 'incomplete', incomplete_details: { reason: 'content_filter' }, usage: { input_tokens: 12, output_tokens: 2, total_tokens: 14 } });
    expect(data.response.output).toEqual([{ id: 'msg_1', type: 'message', status: 'incomplete', content: [{ type: 'output_text', text: 'Hello' }], role: 'assistant' }]);
    const failed = shape.errorEnd('req-1', 5).split('\n\n').filter(Boolean).map((f) => JSON.parse(f.split('\ndata: ')[1]!) as { type: string; sequence_number: number });
    expect(failed.map((f) => [f.type, f.sequence_number])).toEqual([['error', 5], ['response.failed', 6]]);
  });

  it('a whole Responses answer the output filter stopped is incomplete, its text withheld', () => {
    const body = JSON.stringify({ id: 'resp_1', object: 'response', status: 'completed', incomplete_details: null, output: [{ id: 'msg_1', type: 'message', status: 'completed', content: [{ type: 'output_text', text: 'Hello' }] }] });
    const out = JSON.parse(filteredWholeBody('responses', body, parseFaultSpec('content_filter_completion', 'h'))!) as Record<string, unknown>;
    expect(out).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [{ status: 'incomplete', content: [{ text: '' }] }] });
    expect((out.content_filters as { source_type: string; blocked: boolean }[]).map((f) => [f.source_type, f.blocked])).toEqual([['prompt', false], ['completion', true]]);
  });
});
