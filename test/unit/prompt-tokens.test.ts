import { describe, it, expect } from 'vitest';
import { findModel, type ModelSpec } from '../../src/core/models.js';
import { getEncoding } from '../../src/core/tokens/tokenizer.js';
import { countChatPrompt, countInput, countTools } from '../../src/core/generation/prompt-tokens.js';
import type { ChatMessage } from '../../src/core/generation/requests.js';

function model(name: string): ModelSpec {
  const m = findModel(name);
  if (!m) throw new Error(`no model ${name}`);
  return m;
}

function countFor(name: string, messages: ChatMessage[]): number {
  const m = model(name);
  return countChatPrompt(messages, m, getEncoding(m.encoding));
}

// OpenAI cookbook, "How to count tokens with tiktoken".
const exampleMessages: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

describe('countChatPrompt: OpenAI cookbook example', () => {
  const published: Array<[string, number]> = [
    ['gpt-3.5-turbo-0613', 129],
    ['gpt-4', 129],
    ['gpt-3.5-turbo-0301', 127],
    ['gpt-4o', 124],
    ['gpt-4o-mini', 124],
  ];
  for (const [name, expected] of published) {
    it(`${name} → ${expected}`, () => {
      expect(countFor(name, exampleMessages)).toBe(expected);
    });
  }

  it('dated model names count like their base model', () => {
    expect(countFor('gpt-4o-2024-08-06', exampleMessages)).toBe(124);
  });
});

describe('countChatPrompt: Python simulator facts', () => {
  const meaning: ChatMessage[] = [{ role: 'user', content: 'What is the meaning of life?' }];

  it('gpt-3.5-turbo, one user message → 14', () => {
    expect(countFor('gpt-3.5-turbo', meaning)).toBe(14);
  });

  it('text content parts are counted like the string', () => {
    const parts: ChatMessage[] = [{ role: 'user', content: [{ type: 'text', text: 'What is the meaning of life?' }] }];
    expect(countFor('gpt-3.5-turbo', parts)).toBe(14);
    const split: ChatMessage[] = [
      { role: 'user', content: [{ type: 'text', text: 'What is the' }, { type: 'text', text: ' meaning of life?' }] },
    ];
    expect(countFor('gpt-3.5-turbo', split)).toBe(14);
  });

  it('a low-detail image part adds 85 tokens', () => {
    const withImage: ChatMessage[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is the meaning of life?' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        ],
      },
    ];
    expect(countFor('gpt-3.5-turbo', withImage)).toBe(14 + 85);
  });

  it('a non-low-detail image part costs more than a low-detail one', () => {
    const img = (detail: 'low' | 'high'): ChatMessage[] => [
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png', detail } }] },
    ];
    expect(countFor('gpt-4o', img('high'))).toBeGreaterThan(countFor('gpt-4o', img('low')));
  });

  it('null content counts nothing beyond the message overhead', () => {
    const m = model('gpt-4');
    const enc = getEncoding(m.encoding);
    // 3 priming + 3 per message + "assistant"
    expect(countChatPrompt([{ role: 'assistant', content: null }], m, enc)).toBe(3 + 3 + enc.count('assistant'));
  });

  it('each message adds its own tokens', () => {
    const two: ChatMessage[] = [...meaning, ...meaning];
    // second message: 3 per message + "user" (1) + 7 content tokens
    expect(countFor('gpt-3.5-turbo', two)).toBe(14 + 11);
  });
});

describe('countInput', () => {
  const enc = getEncoding('cl100k_base');

  it('"This is a test prompt" → [5]', () => {
    expect(countInput('This is a test prompt', enc)).toEqual([5]);
  });

  it('"This is some text to generate embeddings for" → [8]', () => {
    expect(countInput('This is some text to generate embeddings for', enc)).toEqual([8]);
  });

  it('token ids count their length', () => {
    expect(countInput([1, 2, 3, 4], enc)).toEqual([4]);
    expect(countInput([[1, 2, 3], [4, 5], [6]], enc)).toEqual([3, 2, 1]);
  });

  it('arrays of strings count per item', () => {
    expect(countInput(['This is a test prompt', 'This is some text to generate embeddings for'], enc)).toEqual([5, 8]);
  });

  it('an empty array counts nothing', () => {
    expect(countInput([], enc)).toEqual([]);
  });
});

describe('countTools', () => {
  const enc = getEncoding('cl100k_base');
  it('counts the tools JSON, and nothing when there are none', () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
    expect(countTools(tools, enc)).toBe(enc.count(JSON.stringify(tools)));
    expect(countTools(tools, enc)).toBeGreaterThan(0);
    expect(countTools([], enc)).toBe(0);
    expect(countTools(undefined, enc)).toBe(0);
  });
});
