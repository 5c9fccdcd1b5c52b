/**
 * How long an answer is and why it ended — shared by chat and completions.
 *
 * `natural` (the default) answers like a model that finished its thought: a few whole sentences
 * (20–200 tokens), finish_reason "stop" — unless the token limit (`max_tokens` /
 * `max_completion_tokens`) comes first, and then the answer is cut there with "length". An app
 * that sends a generous limit as a safety cap gets realistic answers, not the cap every time.
 * `fill` is the Python simulator's behaviour: with a limit, the answer is exactly that long
 * ("length"), which load tests that size their answers with max_tokens rely on.
 */
import { errors, fail } from '../errors.js';
import type { Generated, LoremCorpus, Random } from './lorem.js';

export type FinishReason = 'stop' | 'length';

export interface Choice extends Generated {
  readonly finishReason: FinishReason;
}

/**
 * A generated answer and why it ended. Keeps the answer's lazy token list lazy (a spread would
 * build it); a class, because an object literal with a getter makes a closure per choice.
 */
class Finished implements Choice {
  readonly text: string;
  readonly count: number;
  readonly parts: readonly (number | string)[];

  constructor(
    private readonly generated: Generated,
    readonly finishReason: FinishReason,
  ) {
    this.text = generated.text;
    this.count = generated.count;
    this.parts = generated.parts;
  }

  get tokens(): readonly string[] {
    return this.generated.tokens;
  }
}

/**
 * The most answer tokens one request may ask for (choices × limit). The service would generate them
 * slowly; the simulator would build them at once, so it draws a line well above real use
 * (gpt-5's 128k output, or 16k × 16 choices) and below what one thread can hold.
 */
export const MAX_ANSWER_TOKENS = 262_144;
export const MAX_CHOICES = 128;

export const NATURAL_ANSWER_TOKENS = { min: 20, max: 200 } as const;

export type AnswerLength = 'natural' | 'fill';

/** `limit`: what the request allows (undefined: no limit); `cap`: what the model can still produce. */
export function generateChoice(
  corpus: LoremCorpus,
  limit: number | undefined,
  cap: number,
  length: AnswerLength,
  random: Random = Math.random,
): Choice {
  const bound = Math.min(limit ?? cap, cap);
  if (length === 'fill' && limit !== undefined) return new Finished(corpus.take(bound, random), 'length');
  const target = NATURAL_ANSWER_TOKENS.min + Math.floor(random() * (NATURAL_ANSWER_TOKENS.max - NATURAL_ANSWER_TOKENS.min));
  const natural = corpus.takeSentences(target, bound, random);
  return natural ? new Finished(natural, 'stop') : new Finished(corpus.take(bound, random), 'length');
}

export function generateChoices(corpus: LoremCorpus, n: number, limit: number | undefined, cap: number, length: AnswerLength): Choice[] {
  const choices: Choice[] = [];
  for (let i = 0; i < n; i++) choices.push(generateChoice(corpus, limit, cap, length));
  return choices;
}

/** Rejects requests whose answers (choices × limit) are beyond what the simulator builds at once. */
export function checkAnswerBudget(choices: number, limit: number, param: string): void {
  if (choices * limit > MAX_ANSWER_TOKENS) {
    fail(errors.invalidValue(param, `${choices} choice(s) × ${limit} tokens exceeds the simulator's limit of ${MAX_ANSWER_TOKENS} answer tokens per request.`));
  }
}

export const totalTokens = (choices: readonly Choice[]): number => choices.reduce((sum, c) => sum + c.count, 0);
