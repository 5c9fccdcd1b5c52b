/**
 * The spine's fault step (core/faults): between the deployment's resolution and the producer, and
 * taken only when the request's configuration snapshot has faults (`ex.config.faults !== null`;
 * the plain path tests that one field). It picks the request's fault — a request header's, a
 * scenario's, the deployment's or the global rates' — and then:
 * - an `answer` fault is answered here (after its delay for 408/504): not produced, not charged,
 *   never forwarded upstream in record mode;
 * - `hang` never answers, `drop` closes the connection before the status line;
 * - a `write` fault puts the fault sink (fault-sink.ts) in front of the exchange's sink and lets the
 *   request go on, so the answer is made as usual and changed as it is written.
 * Every injected fault sets `x-simulator-fault-injected`, is counted in the thread's stats and
 * metrics (`aoai_sim_faults_injected_total{deployment,fault,source}`) and logged at debug level; `ex.fault` names it, so record mode
 * records nothing for it.
 */
import type { FaultPlan } from '../../core/config/snapshot.js';
import { errors } from '../../core/errors.js';
import { faultAnswer, FAULTS, num, type FaultSpec } from '../../core/faults/catalogue.js';
import { FaultConfigError } from '../../core/faults/config.js';
import { decider, pick, type Decider, type FaultSource } from '../../core/faults/select.js';
import type { Operation } from '../../core/models.js';
import type { ThreadContext } from '../context.js';
import type { Exchange } from '../http/exchange.js';
import { fault as failed, guard } from '../http/fault.js';
import { dropConnection, sendError } from '../http/respond.js';
import { FAULT_HEADER, FaultSink } from './fault-sink.js';

/** Picks and applies the request's fault; `next` continues the request (no fault, or a write fault). */
export function faultStep(ctx: ThreadContext, ex: Exchange, plan: FaultPlan, deployment: string, operation: Operation, streamed: boolean, next: () => void): void {
  let decided: Decider;
  try {
    decided = decider(plan.config, ex.headers.fault ?? '', ex.headers.scenario ?? '', deployment);
  } catch (err) {
    if (err instanceof FaultConfigError) return sendError(ex, errors.badFault(err.message));
    throw err;
  }
  if (decided === null) return next();
  if (decided.kind === 'unknown-scenario') {
    const known = Object.keys(plan.config.scenarios);
    return sendError(ex, errors.badFault(`x-simulator-scenario: unknown scenario "${decided.name}" (configured: ${known.length ? known.join(', ') : 'none'})`));
  }
  if (decided.kind === 'fault') return apply(ctx, ex, decided.fault, decided.source, deployment, operation, streamed, next);
  const { scope, source } = decided;
  const drawn = (ordinal: number): void => {
    const chosen = pick(scope, plan.config.seed, ordinal);
    if (chosen === null) return next();
    apply(ctx, ex, chosen, source, deployment, operation, streamed, next);
  };
  const ordinal = plan.sequences.next(scope.slot);
  if (typeof ordinal === 'number') return drawn(ordinal);
  // A shared backend (Redis) answers later. Guard point: its promise.
  ordinal.then(guard(ctx.log, ex, drawn), (err: unknown) => failed(ctx.log, ex, err));
}

function apply(ctx: ThreadContext, ex: Exchange, chosen: FaultSpec, source: FaultSource, deployment: string, operation: Operation, streamed: boolean, next: () => void): void {
  const entry = FAULTS[chosen.name];
  // A fault that means nothing here (no_done on embeddings) is not injected: the answer is normal.
  if (!entry.applies(operation, streamed)) return next();
  ex.fault = chosen.name;
  ctx.stats.recordFault(deployment, chosen.name, source);
  // The metric's deployment label is folded as every series' is (protocol/metrics.ts).
  ctx.metrics?.fault(ctx.metrics.deploymentLabel(deployment, ex.config.deployments.configured.has(deployment)), chosen.name, source);
  ctx.log.debug(`request ${ex.requestId} ${ex.method} ${ex.path}: fault ${chosen.text} injected (${source}, deployment ${deployment})`);
  if (entry.kind === 'answer') {
    const answer = faultAnswer(chosen, operation, ex.apiVersion, ex.requestId);
    const headers = { ...answer.headers, [FAULT_HEADER]: chosen.name };
    const send = (): void => ex.sink.whole(ex, answer.status, 'application/json', answer.body, headers);
    const delay = chosen.name === '408' || chosen.name === '504' ? num(chosen, 'after_ms') : 0;
    if (delay <= 0) return send();
    ex.ready();
    // Guard point: a scheduler task.
    return ctx.scheduler.at(ex.startedAt + delay, guard(ctx.log, ex, send));
  }
  if (entry.kind === 'socket') {
    if (chosen.name === 'drop') return dropConnection(ex);
    return ex.ready(); // hang: accepted, never answered; the client's timeout decides
  }
  ex.sink = new FaultSink(ex.sink, chosen, operation, ctx.scheduler, ctx.log, ex);
  next();
}
