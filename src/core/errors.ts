/**
 * Every error the simulator answers with, as data: status, code, type and message wording follow
 * the live Azure OpenAI service, in the OpenAI envelope `{"error":{"code","message","type","param"}}`
 * that the official SDKs turn into typed errors.
 */

import type { Operation } from './models.js';
import { describe } from './values.js';

export interface ApiError {
  readonly status: number;
  readonly code: string | null;
  readonly type: string | null;
  readonly param: string | null;
  readonly message: string;
  /** Extra response headers (e.g. `allow` on 405). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A body in another shape than the envelope (the bearer-token 401 has no `error` wrapper). */
  readonly rawBody?: string;
  /** A deployment's rate limit refused the request: which budget (the metrics count 429s by it). */
  readonly limit?: 'tokens' | 'requests';
}

const INVALID_REQUEST = 'invalid_request_error';

/** How the service names each operation in OperationNotSupported messages (python-compatibility.md §3.3). */
const OPERATION_LABEL: Readonly<Record<Operation, string>> = {
  chat: 'chatCompletion',
  completions: 'completions',
  embeddings: 'embeddings',
  transcriptions: 'transcriptions',
  translations: 'translations',
  images: 'imageGeneration',
  responses: 'responses',
};

/** Error constructors, one per kind; messages match the live service's wording where it is known. */
export const errors = {
  unauthorized: (): ApiError => ({
    status: 401,
    code: '401',
    type: null,
    param: null,
    message:
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
  }),
  deploymentNotFound: (): ApiError => ({
    status: 404,
    code: 'DeploymentNotFound',
    type: null,
    param: null,
    message:
      'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
  }),
  operationNotSupported: (operation: Operation, deployment: string): ApiError => ({
    status: 400,
    code: 'OperationNotSupported',
    type: null,
    param: null,
    message: `The ${OPERATION_LABEL[operation]} operation does not work with the specified model, ${deployment}. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.`,
  }),
  contextLengthExceeded: (limit: number, prompt: number, completion: number | undefined, param: string): ApiError => ({
    status: 400,
    code: 'context_length_exceeded',
    type: INVALID_REQUEST,
    param,
    message:
      completion === undefined
        ? `This model's maximum context length is ${limit} tokens. However, your messages resulted in ${prompt} tokens. Please reduce the length of the messages.`
        : `This model's maximum context length is ${limit} tokens. However, you requested ${prompt + completion} tokens (${prompt} in the messages, ${completion} in the completion). Please reduce the length of the messages or completion.`,
  }),
  embeddingInputTooLong: (limit: number, tokens: number): ApiError => ({
    status: 400,
    code: 'context_length_exceeded',
    type: INVALID_REQUEST,
    param: 'input',
    message: `This model's maximum context length is ${limit} tokens, however you requested ${tokens} tokens (${tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`,
  }),
  maxTokensTooLarge: (param: string, requested: number, limit: number): ApiError => ({
    status: 400,
    code: 'invalid_value',
    type: INVALID_REQUEST,
    param,
    message: `${param} is too large: ${requested}. This model supports at most ${limit} completion tokens, whereas you provided ${requested}.`,
  }),
  unsupportedParameter: (param: string, instead: string): ApiError => ({
    status: 400,
    code: 'unsupported_parameter',
    type: INVALID_REQUEST,
    param,
    message: `Unsupported parameter: '${param}' is not supported with this model. Use '${instead}' instead.`,
  }),
  invalidJson: (): ApiError => ({
    status: 400,
    code: null,
    type: INVALID_REQUEST,
    param: null,
    message:
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
  }),
  /** A body nested deeper than MAX_JSON_DEPTH (core/wire/json-depth.ts): refused before any walk of it. */
  jsonTooDeep: (max: number): ApiError => ({
    status: 400,
    code: null,
    type: INVALID_REQUEST,
    param: null,
    message: `The JSON body of your request is nested more than ${max} levels deep; the simulator does not accept deeper bodies.`,
  }),
  bodyNotObject: (value: unknown): ApiError => ({
    status: 400,
    code: 'invalid_type',
    type: INVALID_REQUEST,
    param: null,
    message: `The request body must be a JSON object, but got ${describe(value)} instead.`,
  }),
  missingField: (param: string): ApiError => ({
    status: 400,
    code: 'missing_required_parameter',
    type: INVALID_REQUEST,
    param,
    message: `Missing required parameter: '${param}'.`,
  }),
  invalidType: (param: string, expected: string, value: unknown): ApiError => ({
    status: 400,
    code: 'invalid_type',
    type: INVALID_REQUEST,
    param,
    message: `Invalid type for '${param}': expected ${expected}, but got ${describe(value)} instead.`,
  }),
  invalidValue: (param: string, detail: string): ApiError => ({
    status: 400,
    code: 'invalid_value',
    type: INVALID_REQUEST,
    param,
    message: `Invalid value for '${param}': ${detail}`,
  }),
  // AOAI answers a non-JSON body with 400 "Unsupported data type"; the detail says what to send.
  unsupportedContentType: (contentType: string): ApiError => ({
    status: 400,
    code: 'unsupported_content_type',
    type: INVALID_REQUEST,
    param: null,
    message: `Unsupported data type: the request has 'Content-Type: ${contentType}', but this operation only accepts 'application/json'.`,
  }),
  // The service's wording for an upload over its 25 MiB limit (the Python simulator's too).
  audioTooLarge: (limit: number, size: number): ApiError => ({
    status: 413,
    code: 'request_entity_too_large',
    type: INVALID_REQUEST,
    param: 'file',
    message: `Maximum content size limit (${limit}) exceeded (${size} bytes read)`,
  }),
  notMultipart: (contentType: string): ApiError => ({
    status: 400,
    code: 'unsupported_content_type',
    type: INVALID_REQUEST,
    param: null,
    message: `Unsupported data type: the request has 'Content-Type: ${contentType}', but this operation only accepts 'multipart/form-data' with a boundary.`,
  }),
  malformedMultipart: (): ApiError => ({
    status: 400,
    code: 'invalid_request',
    type: INVALID_REQUEST,
    param: null,
    message: 'The multipart/form-data body could not be parsed: check its boundary and part headers.',
  }),
  bodyTooLarge: (limit: number): ApiError => ({
    status: 413,
    code: 'request_entity_too_large',
    type: INVALID_REQUEST,
    param: null,
    message: `The request body is too large. The maximum request size is ${limit} bytes.`,
  }),
  routeNotFound: (): ApiError => ({ status: 404, code: '404', type: null, param: null, message: 'Resource not found' }),
  methodNotAllowed: (allowed: readonly string[]): ApiError => ({
    status: 405,
    code: '405',
    type: null,
    param: null,
    message: `Method not allowed. This resource supports: ${allowed.join(', ')}.`,
    headers: { allow: allowed.join(', ') },
  }),
  recordingNotFound: (file: string, key: string): ApiError => ({
    status: 500,
    code: 'RecordingNotFound',
    type: 'server_error',
    param: null,
    message: `No recording matches this request: looked for key ${key} in ${file}. Record it first (SIMULATOR_MODE=record), or check that the method, path and body are the same as when it was recorded.`,
  }),
  upstreamUnreachable: (detail: string): ApiError => ({
    status: 502,
    code: 'BadGateway',
    type: 'server_error',
    param: null,
    message: `The upstream Azure OpenAI endpoint could not be reached: ${detail}`,
  }),
  upstreamTimeout: (afterMs: number): ApiError => ({
    status: 504,
    code: 'GatewayTimeout',
    type: 'server_error',
    param: null,
    message: `The upstream Azure OpenAI endpoint did not answer within ${afterMs} ms.`,
  }),
  badConfigPatch: (detail: string): ApiError => ({
    status: 400,
    code: 'invalid_value',
    type: 'invalid_request_error',
    param: null,
    message: `Invalid configuration change: ${detail}.`,
  }),
  /** A fault asked for by a request header that cannot be injected (core/faults). */
  badFault: (detail: string): ApiError => ({
    status: 400,
    code: 'invalid_value',
    type: INVALID_REQUEST,
    param: detail.startsWith('x-simulator-scenario') ? 'x-simulator-scenario' : 'x-simulator-fault',
    message: `Invalid fault: ${detail}.`,
  }),
  notRecording: (): ApiError => ({
    status: 400,
    code: 'NotRecording',
    type: 'invalid_request_error',
    param: null,
    message: 'Not saving recordings as not in record mode.',
  }),
  metricsOff: (): ApiError => ({
    status: 404,
    code: 'MetricsOff',
    type: 'invalid_request_error',
    param: null,
    message: 'Metrics are off (SIMULATOR_METRICS=false): /metrics and /++/dashboard have no data.',
  }),
  recordingNotConfigured: (): ApiError => ({
    status: 500,
    code: 'RecordingNotConfigured',
    type: 'server_error',
    param: null,
    message: 'Record mode needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_KEY to forward requests.',
  }),
  /** An extension threw, answered garbage or broke a rule: named, so its author knows where to look. */
  extensionFailed: (extension: string, detail: string): ApiError => ({
    status: 500,
    code: 'extension_error',
    type: 'server_error',
    param: null,
    message: `extension ${extension} failed: ${detail}`,
  }),
  /** A question the request needed every thread to answer went unanswered (a thread exited, or time ran out). */
  unavailable: (detail: string): ApiError => ({
    status: 503,
    code: 'ServiceUnavailable',
    type: 'server_error',
    param: null,
    message: `The simulator could not complete the request: ${detail}`,
  }),
  /**
   * The worker pool's queue is full (SIMULATOR_POOL_MAX_QUEUE): refused at once, as the live service
   * refuses a deployment under peak load (its "high demand" 429), with when to retry — never a
   * multi-second wait in a queue.
   */
  poolBusy: (retryAfterMs: number): ApiError => ({
    status: 429,
    code: '429',
    type: null,
    param: null,
    message: `The system is currently experiencing high demand and cannot process your request. Your request exceeds the maximum usage size allowed during peak load. Please retry after ${Math.ceil(retryAfterMs / 1000)} seconds. For improved latency reliability, consider switching to Provisioned Throughput.`,
    headers: { 'retry-after': String(Math.ceil(retryAfterMs / 1000)), 'retry-after-ms': String(retryAfterMs) },
  }),
  // ---- Tools, structured outputs, images, Entra ID ----------------------------------------------
  /** A strict schema outside the subset: `kind` 'response_format' or 'function' (reference §3.4). */
  invalidSchema: (kind: 'response_format' | 'function', name: string, detail: string, param: string): ApiError => ({
    status: 400,
    code: kind === 'function' ? 'invalid_function_parameters' : 'invalid_json_schema',
    type: INVALID_REQUEST,
    param,
    message: `Invalid schema for ${kind} '${name}': ${detail}`,
  }),
  jsonWordMissing: (): ApiError => ({
    status: 400,
    code: null,
    type: INVALID_REQUEST,
    param: 'messages',
    message: "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
  }),
  /** The bearer-token 401: the service answers it without the `error` wrapper (reference §7.2). */
  invalidBearerToken: (): ApiError => {
    const message = 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.';
    return { status: 401, code: '401', type: null, param: null, message, rawBody: JSON.stringify({ statusCode: 401, message }) };
  },
  permissionDenied: (): ApiError => ({ status: 401, code: 'PermissionDenied', type: null, param: null, message: 'Principal does not have access to API/Operation.' }),
  imagePromptBlocked: (): ApiError => ({
    status: 400,
    code: 'content_policy_violation',
    type: INVALID_REQUEST,
    param: null,
    message: 'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
    rawBody: JSON.stringify({
      error: {
        code: 'content_policy_violation',
        inner_error: { code: 'ResponsibleAIPolicyViolation', content_filter_results: { jailbreak: { detected: false, filtered: false }, violence: { filtered: true, severity: 'high' } } },
        message: 'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
        type: INVALID_REQUEST,
      },
    }),
  }),
  imageNotFound: (): ApiError => ({ status: 404, code: 'BlobNotFound', type: null, param: null, message: 'The specified blob does not exist or its link has expired.' }),
  internal: (detail: string): ApiError => ({
    status: 500,
    code: 'InternalServerError',
    type: 'server_error',
    param: null,
    message: `The simulator failed to process the request: ${detail}`,
  }),
} as const;

/** The envelope's JSON, byte for byte what JSON.stringify of the object gives, without building it (the 429 path is hot). */
export function errorBody(error: ApiError): string {
  if (error.rawBody !== undefined) return error.rawBody;
  const j = JSON.stringify;
  return `{"error":{"code":${j(error.code)},"message":${j(error.message)},"type":${j(error.type)},"param":${j(error.param)}}}`;
}

/** Thrown inside request handling to answer with an API error; anything else thrown is a 500. */
export class ApiErrorResponse extends Error {
  override name = 'ApiErrorResponse';
  constructor(readonly apiError: ApiError) {
    super(apiError.message);
  }
}

export function fail(error: ApiError): never {
  throw new ApiErrorResponse(error);
}

/** Thrown when an extension fails a request: answered with its 500, logged with the cause's stack. */
export class ExtensionFailure extends Error {
  override name = 'ExtensionFailure';
  constructor(
    readonly apiError: ApiError,
    readonly detail: string,
  ) {
    super(apiError.message);
  }
}

/**
 * The parent of every error that carries a one-line message meant for the user (a setting, a file,
 * a configuration patch): whoever catches one prints `message` as it is, without a stack trace, and
 * `code` says which kind it is without an `instanceof` list. Errors that are answers on the wire are
 * `ApiError` data instead (above); anything else thrown is a bug and keeps its stack.
 */
export abstract class SimulatorError extends Error {
  abstract readonly code: string;
}

/** A start-up failure with a message for the user (a port in use, a file that will not load). */
export class StartupError extends SimulatorError {
  override name = 'StartupError';
  readonly code = 'SIM_ERR_STARTUP';
}
