/**
 * The management routes: `GET/PATCH /++/config`, `GET /++/stats`, `POST /++/save-recordings`.
 * Each needs the simulator's key; the answers that involve every thread are asked of main, and
 * arrive back through `asks` (thread.ts answers them from main's messages); a question main cannot
 * answer (a thread exited, or no answer in time) is a 503 naming why.
 */
import { errors } from '../core/errors.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../core/wire/json-depth.js';
import { applyConfigPatch, configJson, ConfigPatchError } from '../core/config/runtime-config.js';
import type { FrontEndMessage } from '../protocol/messages.js';
import { MAIN, type Asks } from '../protocol/ask.js';
import type { ThreadContext } from './context.js';
import { discardBody, readBody } from './http/body.js';
import type { Exchange } from './http/exchange.js';
import { fault, reject } from './http/fault.js';
import { sendError, sendJson } from './http/respond.js';
import type { HttpServer } from './http/server.js';
import { received } from './pipeline/spine.js';

export interface AdminAsks {
  readonly stats: Asks<string>;
  readonly saves: Asks<{ files: number; error: string | undefined }>;
  readonly patches: Asks<string | undefined>;
}

export function registerAdmin(server: HttpServer, ctx: ThreadContext, asks: AdminAsks, post: (message: FrontEndMessage) => void): void {
  /** The management routes' common start: true, or a 401 answered. */
  const authorized = (ex: Exchange): boolean => {
    if (ctx.auth.check(ex.headers)) return true;
    reject(ex, ctx.auth.rejection(ex.headers));
    return false;
  };
  const configAnswer = (): string => configJson(ctx.config.runtime, ctx.config.deployments.configured);

  server.on('post', '/++/save-recordings', (ex) => {
    if (!authorized(ex)) return;
    discardBody(ex); // the body, if any, is not used
    if (ctx.settings.mode !== 'record') return sendError(ex, errors.notRecording());
    const id = asks.saves.ask([MAIN], (outcome) => {
      if (!outcome.ok) return sendError(ex, errors.unavailable(outcome.reason));
      const { files, error } = outcome.answers[0]!;
      if (error) sendError(ex, errors.internal(`saving recordings failed: ${error}`));
      else sendJson(ex, 200, JSON.stringify({ message: '📼 Recordings saved', files }));
    });
    post({ type: 'save', id });
  }, false);
  server.on('get', '/++/config', (ex) => {
    if (authorized(ex)) sendJson(ex, 200, configAnswer());
  }, false);
  server.on('get', '/++/stats', (ex) => {
    if (!authorized(ex)) return;
    const id = asks.stats.ask([MAIN], (outcome) => (outcome.ok ? sendJson(ex, 200, outcome.answers[0]!) : sendError(ex, errors.unavailable(outcome.reason))));
    post({ type: 'stats-request', id, reset: new URLSearchParams(ex.query).get('reset') === 'true' });
  }, false);
  server.on('patch', '/++/config', (ex) => {
    if (!authorized(ex)) return;
    readBody(ex, ctx.settings.maxBodyBytes, received(ctx, ex, (text: string) => {
      if (jsonTooDeep(text)) return sendError(ex, errors.jsonTooDeep(MAX_JSON_DEPTH));
      let patch: unknown;
      try {
        patch = JSON.parse(text);
      } catch {
        return sendError(ex, errors.invalidJson());
      }
      try {
        applyConfigPatch(ctx.config.runtime, patch); // a bad value is refused here, before any thread changes
      } catch (err) {
        if (err instanceof ConfigPatchError) return sendError(ex, errors.badConfigPatch(err.message));
        return fault(ctx.log, ex, err);
      }
      // Answered with the configuration this thread holds once main's new version reached it.
      const id = asks.patches.ask([MAIN], (outcome) => {
        if (!outcome.ok) return sendError(ex, errors.unavailable(outcome.reason));
        const error = outcome.answers[0];
        if (error) sendError(ex, errors.badConfigPatch(error));
        else sendJson(ex, 200, configAnswer());
      });
      post({ type: 'config-patch', id, patch });
    }));
  }, false);
}
