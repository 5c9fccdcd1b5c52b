/**
 * The pipeline in record and replay modes: route (any path) → authenticate → read body (bytes) →
 * key → replay a recording if there is one, else forward and record (record mode) or answer
 * RecordingNotFound (replay mode). Record mode is also a cache: what it recorded it replays.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { join } from 'node:path';
import { errors } from '../../core/errors.js';
import type { RecordedInteraction, ReplayEntry } from '../../core/recording/recording-file.js';
import { deploymentOperation, requestCost, type DeploymentLimiter } from '../../core/limits/rate-limits.js';
import { bodyHash, recordingFileName, requestKey } from '../../core/recording/recording-key.js';
import { isSafePath } from '../../core/wire/path-safety.js';
import { isObject } from '../../core/generation/requests.js';
import type { Exchange } from '../http/exchange.js';
import type { Settings } from '../../core/config/settings.js';
import type { ApiKeyAuth } from '../http/auth.js';
import { readBodyBytes } from '../http/body.js';
import type { Log } from '../../log.js';
import { exchange, fault, reject } from './pipeline.js';
import { replay } from './replay.js';
import type { Scheduler } from '../scheduler.js';
import { sendError } from '../http/respond.js';
import { forward } from './upstream.js';
import type { ExtensionRuntime } from '../extensions/runtime.js';
import { handleRecordReplayExtended } from '../extensions/stages.js';

export interface RecordReplay {
  readonly settings: Settings;
  readonly auth: ApiKeyAuth;
  readonly log: Log;
  /** Recorded answers by key: loaded at start, grown by record mode. */
  readonly index: Map<string, ReplayEntry>;
  /** Rate limiters by deployment name: replayed answers are charged as generated ones are. */
  limiters: ReadonlyMap<string, DeploymentLimiter>;
  /** Replayed answers wait for their recorded timing on the thread's scheduler. */
  readonly scheduler: Scheduler;
  /** Takes the simulator's own time per request (ms) for `/++/stats`. */
  readonly recordOverhead: (ms: number) => void;
  /** Record mode: hands a new interaction to the main thread, which saves it. */
  readonly recorded: (file: string, interaction: RecordedInteraction) => void;
  /** The loaded extension (EXTENSION_PATH), if any. */
  ext: ExtensionRuntime | undefined;
}

/**
 * Charges a replayed answer to its deployment's rate limit (the deployment and operation come from
 * the path, the cost from the request body, as for generated answers), then replays it with fresh
 * x-ratelimit headers — or answers the 429 instead. Forwarded requests are not charged: the real
 * upstream limits those.
 */
export function limitReplay(p: RecordReplay, ex: Exchange, hit: ReplayEntry, body: Buffer, path = ex.path, targetMs?: number): void {
  const target = hit.status < 300 ? deploymentOperation(path) : undefined;
  const limiter = target?.operation && p.limiters.get(target.deployment);
  if (!target?.operation || !limiter) return replay(p.scheduler, ex, hit, undefined, targetMs);
  let request: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (isObject(parsed)) request = parsed;
  } catch {
    // not JSON (multipart audio): the cost rules then give 0, the request rule still applies
  }
  const { operation } = target;
  const cost = requestCost(operation, request);
  const admission = limiter.admit(cost);
  if (!admission.allowed) return sendError(ex, limiter.rejection(admission, operation, ex.apiVersion, cost));
  replay(p.scheduler, ex, hit, limiter.successHeaders(admission), targetMs);
}

export function handleRecordReplay(p: RecordReplay, res: HttpResponse, req: HttpRequest): void {
  if (p.ext) return handleRecordReplayExtended(p, p.ext, res, req);
  const ex = exchange(res, req, p.recordOverhead);
  const headers: [string, string][] = [];
  if (p.settings.mode === 'record') req.forEach((name, value) => headers.push([name, value]));
  try {
    if (!p.auth.check(ex.headers)) return reject(ex, errors.unauthorized());
    readBodyBytes(ex, p.settings.maxBodyBytes, (result) => {
      try {
        if (result.kind === 'too-large') return sendError(ex, errors.bodyTooLarge(p.settings.maxBodyBytes), true);
        const body = result.text;
        const hash = bodyHash(body, ex.headers.contentType);
        const key = requestKey(ex.method, ex.path, hash);
        const hit = p.index.get(key);
        if (hit) return limitReplay(p, ex, hit, body);
        const file = recordingFileName(ex.path);
        if (p.settings.mode === 'replay') return sendError(ex, errors.recordingNotFound(join(p.settings.recordingDir, file), key));
        // Only AOAI paths go upstream, and never one that could climb out of them (`/openai/../x`).
        if (!ex.path.startsWith('/openai/') || !isSafePath(ex.path)) return sendError(ex, errors.routeNotFound());
        forward(
          ex,
          { method: ex.method, path: ex.path, query: ex.query, headers, body, bodyHash: hash },
          p.settings,
          (interaction) => p.recorded(file, interaction),
          (err) => fault(p, ex, err),
        );
      } catch (err) {
        fault(p, ex, err);
      }
    });
  } catch (err) {
    fault(p, ex, err);
  }
}
