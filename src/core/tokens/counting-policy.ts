/**
 * Where a prompt is tokenised. Counting long text is the heavy part of a request, and the count
 * cache makes a repeated prompt (a long system prompt on every request) cheap — but only in the
 * thread whose cache holds it. So a front-end thread first tries a request inline under a budget of
 * uncached characters: a cache miss that would pass the budget stops the attempt (`HeavyCount`)
 * and the request goes to the pool. The pool worker reports the long texts it finds in its own
 * cache — seen before, so likely to come again (a system prompt) — and the front-end remembers
 * them, so the next request with that prompt stays inline. A text seen once is not reported: a
 * load of unique prompts would otherwise send every one back and churn the front-end's cache.
 *
 * One policy at a time per thread (counting is synchronous), set around one generator call.
 */
import type { EncodingName } from '../models.js';

/** Thrown by a count that would pass the inline budget: hand the request to the pool instead. */
export class HeavyCount extends Error {
  override name = 'HeavyCount';
  constructor() {
    super('too much uncached text to count inline');
  }
}

/** A text a pool worker counted, for the front-end's cache. */
export type LearnedCount = readonly [encoding: EncodingName, text: string, tokens: number];

type Policy =
  | { readonly kind: 'inline'; budget: number }
  | { readonly kind: 'learn'; readonly minChars: number; readonly learned: LearnedCount[] };

let policy: Policy | undefined;

/** Runs `fn` counting at most `budget` uncached characters; past that, `HeavyCount` is thrown. */
export function countInline<T>(budget: number, fn: () => T): T {
  return withPolicy({ kind: 'inline', budget }, fn);
}

/** Runs `fn` and returns, with its result, the texts of at least `minChars` it found counted before. */
export function countLearning<T>(minChars: number, fn: () => T): { readonly result: T; readonly learned: LearnedCount[] } {
  const learned: LearnedCount[] = [];
  const result = withPolicy({ kind: 'learn', minChars, learned }, fn);
  return { result, learned };
}

function withPolicy<T>(next: Policy, fn: () => T): T {
  const previous = policy;
  policy = next;
  try {
    return fn();
  } finally {
    policy = previous;
  }
}

/** Called by the encoder before counting a text its cache does not hold. */
export function beforeUncachedCount(text: string): void {
  if (policy?.kind !== 'inline') return;
  policy.budget -= text.length;
  if (policy.budget < 0) throw new HeavyCount();
}

/** Called by the encoder when its cache holds a text's count: a repeat, worth reporting from a pool worker. */
export function cachedCount(encoding: EncodingName, text: string, tokens: number): void {
  if (policy?.kind === 'learn' && text.length >= policy.minChars) policy.learned.push([encoding, text, tokens]);
}
