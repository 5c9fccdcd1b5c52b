/**
 * Which requests go to the worker pool. A hand-off costs more than the work of a typical small
 * request (docs/architecture.md: every request through the pool ran at 40 % of inline), so only
 * heavy ones go. The hand-off's round trip is ~0.1 ms on an idle machine (`bench/pool-threshold.ts`),
 * but it is three thread wake-ups (front end → main → worker → main → front end), and on cores the
 * load generator shares each waits for a core: a ≈4k-token prompt (24 KB) through the pool had an
 * overhead p50 of 35 ms at half load where counted inline it had 0.48 ms (docs/architecture.md,
 * "Threads"). So SIMULATOR_POOL_MIN_BODY_BYTES defaults to 64 KiB: an inline count holds the event
 * loop ~1.2 ms at most, and only bodies past that pay the hops. A streamed answer costs
 * ~1 µs per token event to build (a JSON answer ~0.02 µs per token), so streams of 1,024 tokens or
 * more (max tokens × n) go to the pool too; JSON answers never need to. A large body whose texts
 * are already counted (a repeated prompt) is cheap, hence `try-inline`.
 */
import type { Settings } from '../../core/config/settings.js';

export const POOL_MIN_STREAM_TOKENS = 1_024;

/**
 * Where a request's answer is made: `inline`; `pool`; or `try-inline` — a large body, counted
 * inline only if its texts are mostly in this thread's count cache (`counting-policy.ts`), which
 * is what a prompt repeated on every request (a long system prompt) becomes.
 */
export type Placement = 'inline' | 'try-inline' | 'pool';

export function placement(settings: Settings, bodyLength: number, body: Readonly<Record<string, unknown>>): Placement {
  if (isLongStream(body)) return 'pool';
  return bodyLength >= settings.poolMinBodyBytes ? 'try-inline' : 'inline';
}

function isLongStream(body: Readonly<Record<string, unknown>>): boolean {
  if (body.stream !== true) return false;
  const limit = body.max_completion_tokens ?? body.max_tokens;
  const n = typeof body.n === 'number' ? body.n : 1;
  return typeof limit === 'number' && limit * n >= POOL_MIN_STREAM_TOKENS;
}
