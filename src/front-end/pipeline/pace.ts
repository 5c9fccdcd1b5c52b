/**
 * The spine's last steps for a built-in answer: charge (core/limits/charge.ts), pace, write. An
 * answer leaves when the latency model says the service would have finished it (counted from the
 * request's arrival, so the simulator's own time is included), a stream one token's worth of time
 * before each token event. Zero latency writes at once. Waits run on the thread's one scheduler;
 * each task is guarded, so a write that throws gives its client a 500 (before the head) or a
 * closed connection (after), not silence.
 */
import type { Answer, StreamAnswer } from '../../core/generation/answer.js';
import { StreamCursor } from '../../core/generation/token-events.js';
import { charge, type Charged } from '../../core/limits/charge.js';
import type { DeploymentLimiter } from '../../core/limits/rate-limits.js';
import { pace } from '../../core/latency.js';
import type { Operation } from '../../core/models.js';
import type { ThreadContext } from '../context.js';
import type { Exchange } from '../http/exchange.js';
import { fault, guard } from '../http/fault.js';
import { corked, sendError, startEventStream, whenWritable, type HeaderRecord } from '../http/respond.js';
import type { Task } from '../scheduler.js';

/**
 * Charges the answer (errors are not charged, as the Python simulator does) with the limiter and
 * cost the producer resolved — a refusal replaces the answer with AOAI's 429, an admission adds
 * the x-ratelimit headers — then paces and writes it.
 */
export function chargeAndWrite(ctx: ThreadContext, ex: Exchange, answer: Answer, operation: Operation, limiter: DeploymentLimiter | undefined, cost: number): void {
  if (!limiter || answer.kind === 'error') return write(ctx, ex, answer, undefined, operation);
  const charged = charge(limiter, cost, operation, ex.query);
  // A shared store (Redis) decides asynchronously; the embedded windows never do.
  if (charged instanceof Promise) return void charged.then(guard(ctx.log, ex, (c: Charged) => written(ctx, ex, answer, operation, c)), (err: unknown) => fault(ctx.log, ex, err));
  written(ctx, ex, answer, operation, charged);
}

function written(ctx: ThreadContext, ex: Exchange, answer: Answer, operation: Operation, charged: Charged): void {
  if (!charged.allowed) return sendError(ex, charged.error);
  write(ctx, ex, answer, charged.headers, operation);
}

const NO_DELAY = { totalMs: 0, firstTokenMs: 0, perTokenMs: 0 } as const;

/** Pace and write: the latency model, the extension's latency hooks (a slot, null when empty), the write. */
export function write(ctx: ThreadContext, ex: Exchange, answer: Answer, headers?: HeaderRecord, operation?: Operation): void {
  if (answer.kind === 'error') return sendError(ex, answer.error);
  ex.promptTokens = answer.promptTokens;
  ex.completionTokens = answer.completionTokens;
  let timing = operation ? pace(ex.config.runtime.latency, operation, answer) : NO_DELAY;
  const latency = ctx.stages.latency;
  if (latency !== null) timing = latency(ex, timing, operation, answer.kind === 'stream');
  if (answer.kind === 'json') {
    const due = ex.startedAt + timing.totalMs;
    // The hot path: one cork, the pre-encoded head, one end.
    if (due <= ctx.scheduler.now() + 1) return ex.sink.whole(ex, 200, answer.contentType ?? 'application/json', answer.body, headers);
    ex.ready();
    // Guard point: a scheduler task.
    return ctx.scheduler.at(due, guard(ctx.log, ex, () => ex.sink.whole(ex, 200, answer.contentType ?? 'application/json', answer.body, headers)));
  }
  // Zero latency: every event is due at once, written in chunks while the socket takes them. A
  // stream with a fault goes event by event through the fault sink the same way.
  if (!startEventStream(ex, headers)) return;
  new PacedStream(ctx, ex, answer, timing.totalMs <= 0 ? 0 : timing.firstTokenMs, timing.totalMs <= 0 ? 0 : timing.perTokenMs).run();
}

/**
 * A stream's token events at their due times (all due ones in one write, up to a chunk), on the
 * thread's scheduler — pulled from the answer's cursor only while the socket takes them: when uWS
 * reports its buffer full, pacing stops until the socket is writable again and then catches up.
 * A paused reader holds what uWS buffered plus the cursor, never the rest of its stream.
 *
 * The stream is its own scheduler task, scheduled again for each due group of events: a token
 * event costs a heap entry and the bytes' copy, no closure (measured in docs/architecture.md,
 * Performance).
 */
class PacedStream implements Task {
  due = 0;
  seq = 0;
  readonly #cursor: StreamCursor;
  #blocked = false;
  #scheduled = false;
  #watching = false;
  #failure: unknown = undefined;
  /**
   * The step inside one cork: the due events and the stream's end leave in one send. Corking is
   * synchronous, so one function and the stream it is for (`#current`) serve every stream,
   * instead of a closure each.
   */
  static #current: PacedStream | undefined;
  static readonly #corkedStep = (): void => {
    const stream = PacedStream.#current!;
    try {
      stream.#step();
    } catch (err) {
      stream.#failure = err ?? new Error(String(err));
    }
  };

  constructor(
    readonly ctx: ThreadContext,
    readonly ex: Exchange,
    answer: StreamAnswer,
    firstTokenMs: number,
    perTokenMs: number,
  ) {
    this.#cursor = new StreamCursor(answer, ex.startedAt, firstTokenMs, perTokenMs);
  }

  /** Guard point: a scheduler task (and the first step, and onWritable). */
  run(): void {
    this.#scheduled = false;
    // Saved and restored: a sink decorator could, in principle, start another stream's step.
    const outer = PacedStream.#current;
    PacedStream.#current = this;
    corked(this.ex, PacedStream.#corkedStep);
    PacedStream.#current = outer;
    if (this.#failure !== undefined) fault(this.ctx.log, this.ex, this.#failure);
  }

  #step(): void {
    const { ex } = this;
    if (ex.state !== 'streaming') return;
    const { sink } = ex;
    const cursor = this.#cursor;
    const now = this.ctx.scheduler.now() + 1;
    while (!this.#blocked && cursor.hasDue(now)) this.#blocked = !sink.data(ex, cursor.chunk(now));
    if (cursor.tokensTaken > 0) ex.firstToken(); // time to first token (only the first call counts)
    if (cursor.done) return sink.end(ex);
    if (this.#blocked && !this.#watching) {
      this.#watching = true;
      // Guard point: uWS' onWritable (run is guarded). Set once, at the first full buffer.
      whenWritable(ex, () => {
        this.#blocked = false;
        if (!this.#scheduled) this.run();
      });
    }
    if (!this.#blocked) {
      this.#scheduled = true;
      this.ctx.scheduler.schedule(this, cursor.nextDueMs());
    }
  }
}
