/**
 * Generate mode's producer: parse (JSON, or a form upload) → resolve the deployment, its limiter
 * and the request's cost, once → the certain-refusal precheck → the answer, made inline or on the
 * worker pool (offload.ts says which) → charge, pace and write (pace.ts).
 */
import { formBody } from '../../core/generation/audio.js';
import type { Answer } from '../../core/generation/answer.js';
import { generate, type GenerateOptions } from '../../core/generation/index.js';
import { errors } from '../../core/errors.js';
import type { Operation } from '../../core/models.js';
import type { Deployment } from '../../core/config/deployments.js';
import type { DeploymentLimiter } from '../../core/limits/rate-limits.js';
import { countInline, HeavyCount } from '../../core/tokens/counting-policy.js';
import { boundaryOf, parseMultipart } from '../../core/wire/multipart.js';
import type { ThreadContext } from '../context.js';
import type { Exchange } from '../http/exchange.js';
import { fault, guard } from '../http/fault.js';
import { sendError } from '../http/respond.js';
import { placement } from './offload.js';
import { faultStep } from './faults.js';
import { chargeAndWrite } from './pace.js';
import { produceResponse } from './responses.js';
import { parseJsonBody, resolveTarget, type ApiRoute } from './target.js';

export type { ApiRoute } from './target.js';

/** The built-in handling of an API route from its body on (also what an extension's built-in generators run). */
export function produceGenerated(ctx: ThreadContext, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, body: string | Buffer): void {
  if (route.body === 'multipart') parseForm(ctx, ex, route, params, typeof body === 'string' ? Buffer.from(body) : body);
  else if (route.operation === 'responses') produceResponse(ctx, ex, route, params, typeof body === 'string' ? body : body.toString('utf8'));
  else parse(ctx, ex, route, params, typeof body === 'string' ? body : body.toString('utf8'));
}

/** A form upload (audio): its fields become the body the generator reads; the bytes are not kept. */
function parseForm(ctx: ThreadContext, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, bytes: Buffer): void {
  const boundary = boundaryOf(ex.headers.contentType);
  if (!boundary) return sendError(ex, errors.notMultipart(ex.headers.contentType));
  const parts = parseMultipart(bytes, boundary);
  if (!parts) return sendError(ex, errors.malformedMultipart());
  deployment(ctx, ex, route, params, formBody(parts), '');
}

function parse(ctx: ThreadContext, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, text: string): void {
  const body = parseJsonBody(ex, text);
  if (body) deployment(ctx, ex, route, params, body, text);
}

function deployment(ctx: ThreadContext, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, body: Record<string, unknown>, text: string): void {
  const target = resolveTarget(ex, route, params, body);
  if (!target) return;
  const { found, limiter, cost } = target;
  const { operation } = route;
  // The fault step: one field tested when no fault is configured anywhere. (A certain 429 of the
  // deployment's own limiter, resolveTarget's precheck, comes first.)
  const faults = ex.config.faults;
  if (faults !== null) return faultStep(ctx, ex, faults, found.name, operation, body.stream === true, () => admit(ctx, ex, operation, found, limiter, cost, body, text));
  admit(ctx, ex, operation, found, limiter, cost, body, text);
}

/** The answer, inline or on the pool, then charge, pace and write. */
function admit(ctx: ThreadContext, ex: Exchange, operation: Operation, found: Deployment, limiter: DeploymentLimiter | undefined, cost: number, body: Record<string, unknown>, text: string): void {
  const produced = (answer: Answer): void => chargeAndWrite(ctx, ex, answer, operation, limiter, cost);
  // The snapshot's options (its agent policy); images also need the address the client used.
  const options = operation === 'images' ? imageOptions(ctx, ex) : ex.config.generateOptions;
  const where = ctx.pool ? placement(ctx.settings, text.length, body) : 'inline';
  if (where === 'inline') return produced(generate(operation, body, found, options));
  if (where === 'try-inline') {
    const answer = inlineIfCached(ctx.settings.poolMinBodyBytes, () => generate(operation, body, found, options));
    if (answer) return produced(answer);
  }
  // Guard point: the pool's promise.
  ctx.pool!.run({ operation, body, deployment: found, options }).then(guard(ctx.log, ex, produced), (err: unknown) => fault(ctx.log, ex, err));
}

/** Image `url` answers point at the simulator as the client reached it (SIMULATOR_PUBLIC_URL, else the Host header). */
function imageOptions(ctx: ThreadContext, ex: Exchange): GenerateOptions {
  const { settings } = ctx;
  const origin = settings.publicUrl ?? `http://${ex.headers.host || `localhost:${settings.port}`}`;
  return { ...ex.config.generateOptions, images: { origin, urlTtlSeconds: settings.imageUrlTtlSeconds, blockedWords: settings.imageBlockedWords } };
}

/** The generator's answer if it needed to count at most `budget` uncached characters; else undefined. */
function inlineIfCached(budget: number, make: () => Answer): Answer | undefined {
  try {
    return countInline(budget, make);
  } catch (err) {
    if (err instanceof HeavyCount) return undefined;
    throw err;
  }
}
