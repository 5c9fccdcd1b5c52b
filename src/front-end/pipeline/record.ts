/**
 * Record mode's forwarder: the request goes to AZURE_OPENAI_ENDPOINT (same path and query, the
 * client's credentials replaced by AZURE_OPENAI_KEY), the answer comes back to the client as it
 * arrives — streamed answers event by event, paused when the client cannot keep up — and a
 * successful exchange is handed to `record` to be saved. Upstream failures are the client's 502
 * (unreachable) or 504 (no connection, or silence, within the timeouts), never a hang.
 */
import http from 'node:http';
import https from 'node:https';
import { errors } from '../../core/errors.js';
import { UNRECORDED_RESPONSE_HEADERS, type HeaderMap, type RecordedInteraction } from '../../core/recording/recording-file.js';
import type { Operation } from '../../core/models.js';
import { deploymentOperation } from '../../core/limits/rate-limits.js';
import type { Settings } from '../../core/config/settings.js';
import type { Exchange } from '../http/exchange.js';
import { sendError, whenWritable, type HeaderList } from '../http/respond.js';

export interface ForwardRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Every request header, lower-case names. */
  readonly headers: HeaderList;
  readonly body: Buffer;
  readonly bodyHash: string;
}

/** Never sent upstream: hop-by-hop headers, the encoding we accept, and the client's own credentials. */
const DROP_UPSTREAM = new Set([
  'host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'expect', 'proxy-connection',
  'accept-encoding', 'authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'ocp-apim-subscription-key', 'cookie',
  // The simulator's own fault selection: never sent to the real service.
  'x-simulator-fault', 'x-simulator-scenario',
]);
/** Query parameters that can carry credentials: kept out of the recorded URI. */
const SECRET_QUERY = /(^|&)(api-key|subscription-key|sig|code)=[^&]*/gi;
/** Request bodies longer than this are recorded as null, with their hash (python-compatibility.md §4.3). */
const MAX_RECORDED_BODY = 1024;
/** Request headers kept in a recording (python-compatibility.md §4.1): enough to explain the body, nothing secret. */
const RECORDED_REQUEST_HEADERS = ['content-type', 'accept'];

const isText = (contentType: string): boolean => /json|text|event-stream|xml|yaml|urlencoded/i.test(contentType);

function responseHeaders(raw: http.IncomingHttpHeaders): [string, string][] {
  const kept: [string, string][] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || UNRECORDED_RESPONSE_HEADERS.has(name)) continue;
    kept.push([name, Array.isArray(value) ? value.join(', ') : value]);
  }
  return kept;
}

const toMap = (pairs: HeaderList): HeaderMap => Object.fromEntries(pairs.map(([n, v]) => [n, [v]]));

/** The Python simulator's Operation-Name values (python-compatibility.md §2); it had none for the others. */
const PYTHON_OPERATION_NAME: Partial<Record<Operation, string>> = {
  chat: 'chat_completions',
  completions: 'completions',
  embeddings: 'embeddings',
  translations: 'translation',
};
const TOKEN_LIMITED = new Set(['chat_completions', 'completions', 'embeddings']);

/** What the Python simulator records as context (python-compatibility.md §2), from the path and the answer's usage. */
function contextValues(path: string, body: string): Record<string, unknown> {
  const target = deploymentOperation(path);
  const values: Record<string, unknown> = {};
  if (target) {
    values['Deployment-Name'] = target.deployment;
    const operation = target.operation && PYTHON_OPERATION_NAME[target.operation];
    if (operation) values['Operation-Name'] = operation;
    values.Limiter = operation && TOKEN_LIMITED.has(operation) ? 'openai-tokens' : 'openai-requests';
  }
  try {
    const usage = (JSON.parse(body) as { usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } }).usage;
    if (usage) {
      if (usage.prompt_tokens !== undefined) values['X-OpenAI-Tokens-Prompt'] = usage.prompt_tokens;
      if (usage.completion_tokens !== undefined) values['X-OpenAI-Tokens-Completion'] = usage.completion_tokens;
      if (usage.total_tokens !== undefined) values['X-OpenAI-Tokens-Total'] = usage.total_tokens;
    }
  } catch {
    // not JSON (a stream, audio): no usage to note
  }
  return values;
}

/**
 * Where an extension's forwarder sends a request instead: a full URL, the headers to send (the
 * client's, less credentials, when not given), and which answers to record (default: 2xx).
 */
export interface ForwardTarget {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly persist?: ((response: { status: number; headers: Record<string, string>; body: Buffer }) => boolean) | undefined;
}

export function forward(
  ex: Exchange,
  request: ForwardRequest,
  settings: Settings,
  record: (interaction: RecordedInteraction) => void,
  fault: (err: unknown) => void,
  to?: ForwardTarget,
): void {
  const endpoint = settings.azureOpenAIEndpoint;
  const key = settings.azureOpenAIKey;
  if (!to && (!endpoint || !key)) return sendError(ex, errors.recordingNotConfigured());
  let target: URL;
  try {
    target = new URL(to ? to.url : endpoint!.replace(/\/+$/, '') + request.path + (request.query ? `?${request.query}` : ''));
  } catch {
    return sendError(ex, errors.upstreamUnreachable(to ? `the extension's forwarder URL "${to.url}" is not valid` : `AZURE_OPENAI_ENDPOINT is not a valid URL`));
  }
  const headers: http.OutgoingHttpHeaders = {};
  if (to?.headers) for (const [name, value] of Object.entries(to.headers)) headers[name.toLowerCase()] = value;
  else for (const [name, value] of request.headers) if (!DROP_UPSTREAM.has(name)) headers[name] = value;
  if (!to) headers['api-key'] = key;
  headers['content-length'] = request.body.length;
  // Recordings hold bodies as text: ask for them uncompressed rather than decode them.
  headers['accept-encoding'] = 'identity';

  let failed = false;
  const fail = (kind: 'unreachable' | 'timeout', detail: string): void => {
    if (failed) return;
    failed = true;
    upstream.destroy();
    if (ex.state === 'open') sendError(ex, kind === 'timeout' ? errors.upstreamTimeout(detail === 'connect' ? settings.upstreamConnectTimeoutMs : settings.upstreamIdleTimeoutMs) : errors.upstreamUnreachable(detail));
    else ex.sink.abandon(ex);
  };

  // An exception must not escape a socket or timer callback: it would end the thread.
  const guard =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (err) {
        failed = true;
        upstream.destroy();
        fault(err);
      }
    };

  const upstream = (target.protocol === 'https:' ? https : http).request(target, { method: request.method, headers }, guard((response: http.IncomingMessage) => {
    const status = response.statusCode ?? 502;
    const kept = responseHeaders(response.headers);
    const contentType = String(response.headers['content-type'] ?? '');
    const streamed = /text\/event-stream/i.test(contentType);
    const chunks: Buffer[] = [];
    const offsets: number[] = [];
    let pendingEvent = '';
    if (streamed) ex.sink.start(ex, status, undefined, kept);
    response.on('data', guard((chunk: Buffer) => {
      chunks.push(chunk);
      if (!streamed) return;
      // An event is complete at its blank line: note when each one passed through.
      pendingEvent += chunk.toString('latin1');
      for (let end = pendingEvent.indexOf('\n\n'); end !== -1; end = pendingEvent.indexOf('\n\n')) {
        offsets.push(Math.round(performance.now() - ex.startedAt));
        pendingEvent = pendingEvent.slice(end + 2);
      }
      if (!ex.sink.data(ex, chunk) && !response.isPaused()) {
        // The client is slower than the upstream: pause the upstream (its silence meanwhile is
        // ours, not a hang, so the idle timeout waits too) until the socket drains.
        response.pause();
        upstream.setTimeout(0);
        whenWritable(ex, () => {
          upstream.setTimeout(settings.upstreamIdleTimeoutMs);
          response.resume();
        });
      }
    }));
    response.on('end', guard(() => {
      if (failed) return;
      const body = Buffer.concat(chunks);
      // Recorded before the answer ends, so a client that has its answer can count on the
      // recording having been handed over (a save it asks for next includes it).
      // Errors are relayed, never saved: replaying a 500 would only hide it.
      const persist = to?.persist ? to.persist({ status, headers: Object.fromEntries(kept), body }) : status >= 200 && status < 300;
      if (persist) recordExchange(body);
      if (streamed) ex.sink.end(ex);
      else ex.sink.whole(ex, status, undefined, body, kept);
    }));
    const recordExchange = (body: Buffer): void =>
      record(interactionOf(request, `${target.protocol}//${target.host}`, status, kept, body, Math.round(performance.now() - ex.startedAt), streamed ? offsets : undefined));
    response.on('error', (err) => fail('unreachable', err.message));
  }));

  const connectTimer = setTimeout(() => fail('timeout', 'connect'), settings.upstreamConnectTimeoutMs);
  upstream.on('socket', (socket) => {
    if (!socket.connecting) clearTimeout(connectTimer);
    else socket.once('connect', () => clearTimeout(connectTimer));
  });
  // No byte for this long, at any point of the exchange: the upstream is hanging.
  upstream.setTimeout(settings.upstreamIdleTimeoutMs, () => fail('timeout', 'idle'));
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(connectTimer);
    fail('unreachable', err.code ?? err.message);
  });
  upstream.on('close', () => clearTimeout(connectTimer));
  ex.onAbort(() => {
    failed = true;
    clearTimeout(connectTimer);
    upstream.destroy();
  });
  upstream.end(request.body);
}

/**
 * A recorded interaction in the Python simulator's format (python-compatibility.md §4): the request as the client
 * sent it (path and query, without credentials) under `origin`, and the answer.
 */
export function interactionOf(
  request: ForwardRequest,
  origin: string,
  status: number,
  kept: HeaderList,
  body: Buffer,
  durationMs: number,
  offsets: number[] | undefined,
): RecordedInteraction {
  const contentType = kept.find(([n]) => n === 'content-type')?.[1] ?? '';
  const requestContentType = request.headers.find(([n]) => n === 'content-type')?.[1] ?? '';
  const recordedQuery = request.query.replace(SECRET_QUERY, '').replace(/^&/, '');
  const responseText = isText(contentType) ? body.toString('utf8') : null;
  return {
    context_values: contextValues(request.path, responseText ?? ''),
    request: {
      method: request.method,
      uri: `${origin}${request.path}${recordedQuery ? `?${recordedQuery}` : ''}`,
      headers: toMap(request.headers.filter(([n]) => RECORDED_REQUEST_HEADERS.includes(n))),
      body: request.body.length > MAX_RECORDED_BODY ? null : isText(requestContentType) ? request.body.toString('utf8') : new Uint8Array(request.body),
      body_hash: request.bodyHash,
    },
    response: {
      status: { code: status },
      headers: toMap(kept),
      body: { string: responseText ?? new Uint8Array(body) },
      duration_ms: durationMs,
      ...(offsets ? { stream_offsets_ms: offsets } : {}),
    },
  };
}
