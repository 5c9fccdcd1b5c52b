/**
 * Record mode's forwarder: the request goes to AZURE_OPENAI_ENDPOINT (same path and query, the
 * client's credentials replaced by AZURE_OPENAI_KEY), the answer comes back to the client as it
 * arrives — streamed answers event by event, paused when the client cannot keep up — and a
 * successful exchange is handed to `record` to be saved. Upstream failures are the client's 502
 * (unreachable) or 504 (no connection, or silence, within the timeouts), never a hang.
 */
import http from 'node:http';
import https from 'node:https';
import { errors } from '../core/errors.js';
import type { HeaderMap, RecordedInteraction } from '../core/recording-file.js';
import type { Settings } from '../core/settings.js';
import type { Exchange } from './exchange.js';
import { abandon, endResponse, sendError, sendRecorded, startResponse, writePart, type HeaderList } from './respond.js';

export interface ForwardRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Every request header, lower-case names. */
  readonly headers: HeaderList;
  readonly body: Buffer;
  readonly bodyHash: string;
}

/** Never sent upstream: hop-by-hop headers, and the client's own credentials. */
const DROP_UPSTREAM = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'authorization', 'api-key', 'cookie']);
/**
 * Never relayed or recorded from the answer: per-request ids and infrastructure headers (the
 * Python simulator's list), hop-by-hop headers, and anything that could carry a secret.
 */
const DROP_RESPONSE = new Set([
  'apim-request-id', 'azureml-model-session', 'x-accel-buffering', 'x-content-type-options', 'x-ms-client-request-id',
  'x-ms-region', 'x-request-id', 'cache-control', 'content-length', 'date', 'strict-transport-security',
  'access-control-allow-origin', 'connection', 'keep-alive', 'transfer-encoding', 'set-cookie', 'cookie',
  'authorization', 'api-key',
  // uWebSockets.js marks its own answers; an upstream that is another simulator would pass it on.
  'uwebsockets',
]);
/** Request headers kept in a recording (facts §5.2): enough to explain the body, nothing secret. */
const RECORDED_REQUEST_HEADERS = ['content-type', 'accept'];

const isText = (contentType: string): boolean => /json|text|event-stream|xml|yaml|urlencoded/i.test(contentType);

function responseHeaders(raw: http.IncomingHttpHeaders): [string, string][] {
  const kept: [string, string][] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || DROP_RESPONSE.has(name)) continue;
    kept.push([name, Array.isArray(value) ? value.join(', ') : value]);
  }
  return kept;
}

const toMap = (pairs: HeaderList): HeaderMap => Object.fromEntries(pairs.map(([n, v]) => [n, [v]]));

/** What the Python simulator records as context (facts §1.1), from the path and the answer's usage. */
function contextValues(path: string, body: string): Record<string, unknown> {
  const m = /\/openai\/deployments\/([^/]+)\/(.+)$/.exec(path);
  const values: Record<string, unknown> = {};
  if (m) {
    values['Deployment-Name'] = decodeURIComponent(m[1]!);
    const op = m[2]!.toLowerCase();
    const operation = op.startsWith('chat/completions') ? 'chat_completions' : op.startsWith('completions') ? 'completions'
      : op.startsWith('embeddings') ? 'embeddings' : op.startsWith('audio/translations') ? 'translation' : null;
    if (operation) values['Operation-Name'] = operation;
    values.Limiter = operation && operation !== 'translation' ? 'openai-tokens' : 'openai-requests';
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

export function forward(ex: Exchange, request: ForwardRequest, settings: Settings, record: (interaction: RecordedInteraction) => void): void {
  const endpoint = settings.azureOpenAIEndpoint;
  const key = settings.azureOpenAIKey;
  if (!endpoint || !key) return sendError(ex, errors.recordingNotConfigured());
  let target: URL;
  try {
    target = new URL(endpoint.replace(/\/+$/, '') + request.path + (request.query ? `?${request.query}` : ''));
  } catch {
    return sendError(ex, errors.upstreamUnreachable(`AZURE_OPENAI_ENDPOINT is not a valid URL`));
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of request.headers) if (!DROP_UPSTREAM.has(name)) headers[name] = value;
  headers['api-key'] = key;
  headers['content-length'] = request.body.length;

  let failed = false;
  const fail = (kind: 'unreachable' | 'timeout', detail: string): void => {
    if (failed) return;
    failed = true;
    upstream.destroy();
    if (ex.state === 'open') sendError(ex, kind === 'timeout' ? errors.upstreamTimeout(detail === 'connect' ? settings.upstreamConnectTimeoutMs : settings.upstreamIdleTimeoutMs) : errors.upstreamUnreachable(detail));
    else abandon(ex);
  };

  const upstream = (target.protocol === 'https:' ? https : http).request(target, { method: request.method, headers }, (response) => {
    const status = response.statusCode ?? 502;
    const kept = responseHeaders(response.headers);
    const contentType = String(response.headers['content-type'] ?? '');
    const streamed = /text\/event-stream/i.test(contentType);
    const chunks: Buffer[] = [];
    const offsets: number[] = [];
    let pendingEvent = '';
    if (streamed) startResponse(ex, status, kept);
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!streamed) return;
      // An event is complete at its blank line: note when each one passed through.
      pendingEvent += chunk.toString('latin1');
      for (let end = pendingEvent.indexOf('\n\n'); end !== -1; end = pendingEvent.indexOf('\n\n')) {
        offsets.push(Math.round(performance.now() - ex.startedAt));
        pendingEvent = pendingEvent.slice(end + 2);
      }
      if (!writePart(ex, chunk)) {
        response.pause();
        ex.res.onWritable(() => {
          response.resume();
          return true;
        });
      }
    });
    response.on('end', () => {
      if (failed) return;
      const body = Buffer.concat(chunks);
      if (streamed) endResponse(ex);
      else sendRecorded(ex, status, kept, body);
      // Errors are relayed, never saved: replaying a 500 would only hide it.
      if (status < 200 || status >= 300) return;
      const requestContentType = request.headers.find(([n]) => n === 'content-type')?.[1] ?? '';
      const responseText = isText(contentType) ? body.toString('utf8') : null;
      record({
        context_values: contextValues(request.path, responseText ?? ''),
        request: {
          method: request.method,
          uri: `${target.protocol}//${target.host}${request.path}${request.query ? `?${request.query}` : ''}`,
          headers: toMap(request.headers.filter(([n]) => RECORDED_REQUEST_HEADERS.includes(n))),
          body: isText(requestContentType) ? request.body.toString('utf8') : new Uint8Array(request.body),
          body_hash: request.bodyHash,
        },
        response: {
          status: { code: status },
          headers: toMap(kept),
          body: { string: responseText ?? new Uint8Array(body) },
          duration_ms: Math.round(performance.now() - ex.startedAt),
          ...(streamed ? { stream_offsets_ms: offsets } : {}),
        },
      });
    });
    response.on('error', (err) => fail('unreachable', err.message));
  });

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
