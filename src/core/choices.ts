/**
 * How long an answer is and why it ended — shared by chat and completions.
 *
 * With a token limit (`max_tokens` / `max_completion_tokens`) the answer fills it and ends with
 * finish_reason "length", as the Python simulator did: load tests size their answers this way and
 * need that to be deterministic. Without one, the answer is a few whole sentences (20–200 tokens)
 * and ends with "stop", as a model that finished its thought.
 */
import type { Generated, LoremCorpus, Random } from './lorem.js';

export type FinishReason = 'stop' | 'length';

export interface Choice extends Generated {
  readonly finishReason: FinishReason;
}

/** Keeps the generated answer's lazy token list lazy (a spread would build it). */
function withFinish(generated: Generated, finishReason: FinishReason): Choice {
  return { text: generated.text, count: generated.count, get tokens() { return generated.tokens; }, finishReason };
}

export const NATURAL_ANSWER_TOKENS = { min: 20, max: 200 } as const;

export function generateChoice(corpus: LoremCorpus, limit: number | undefined, cap: number, random: Random = Math.random): Choice {
  if (limit !== undefined) return withFinish(corpus.take(Math.min(limit, cap), random), 'length');
  const target = NATURAL_ANSWER_TOKENS.min + Math.floor(random() * (NATURAL_ANSWER_TOKENS.max - NATURAL_ANSWER_TOKENS.min));
  const natural = corpus.takeSentences(target, cap, random);
  return natural ? withFinish(natural, 'stop') : withFinish(corpus.take(cap, random), 'length');
}

export function generateChoices(corpus: LoremCorpus, n: number, limit: number | undefined, cap: number): Choice[] {
  const choices: Choice[] = [];
  for (let i = 0; i < n; i++) choices.push(generateChoice(corpus, limit, cap));
  return choices;
}

export const totalTokens = (choices: readonly Choice[]): number => choices.reduce((sum, c) => sum + c.count, 0);

/**
 * Interleaves the choices' token events the way a stream of n choices arrives: one token of each
 * choice in turn. `event(choiceIndex, token)` renders one event.
 */
export function interleave(choices: readonly Choice[], event: (index: number, token: string) => string): string[] {
  const events: string[] = [];
  const longest = Math.max(0, ...choices.map((c) => c.tokens.length));
  for (let t = 0; t < longest; t++) {
    for (let i = 0; i < choices.length; i++) {
      const token = choices[i]!.tokens[t];
      if (token !== undefined) events.push(event(i, token));
    }
  }
  return events;
}
