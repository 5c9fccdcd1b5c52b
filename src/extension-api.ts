/**
 * The extension API: what a module named by EXTENSION_PATH sees. Everything an extension author
 * needs is declared here (and exported as `aoai-simulated-api/extension`), so an extension never
 * imports the simulator's internal files. Versioned: a change that breaks extensions raises
 * API_VERSION, and an extension that declares another version stops the start with a clear error.
 *
 * See docs/extending.md for the hook order and examples.
 */

/** The version of this API. An extension may export `apiVersion` to require it. */
export const API_VERSION = 1;

/** The simulator's mode (SIMULATOR_MODE); one definition, in core's settings. */
export type { Mode } from './core/config/settings.js';
import type { Mode } from './core/config/settings.js';

/**
 * A request as hooks, generators and forwarders see it: a plain object, valid for as long as the
 * extension keeps it (unlike uWS' own request). Request hooks may change `method`, `path`, `query`,
 * `headers` and `body`; the simulator then routes what they leave.
 */
export interface SimRequest {
  /** The simulator's request id (also sent as `x-request-id`). */
  readonly id: string;
  method: string;
  /** The path without the query, e.g. `/openai/deployments/gpt-4o/chat/completions`. */
  path: string;
  /** The query string without `?` (`api-version=2024-10-21`). */
  query: string;
  /** Every request header, lower-case names. */
  headers: Record<string, string>;
  /** The body's bytes (empty for requests answered before the body was read). */
  body: Buffer;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json(): unknown;
  /** `api-version` and the other query parameters. */
  readonly searchParams: URLSearchParams;
  readonly mode: Mode;
  /** Values hooks hand on to later hooks for this request (the Python simulator's `context.values`). */
  readonly values: Map<string, unknown>;
}

/**
 * A response: built by a generator, a forwarder or a request hook, or made by the simulator and
 * shown to response hooks before it is written.
 */
export interface SimResponse {
  status: number;
  /** Lower-case names. `content-type` defaults to `application/json` when a body is given. */
  headers: Record<string, string>;
  /**
   * The whole body. Undefined for a streamed answer (`streamed: true`): response hooks can change
   * its status and headers, or set a body to replace the stream with a whole answer.
   */
  body?: string | Uint8Array | undefined;
  /** True for streamed answers (server-sent events) made by the simulator. */
  readonly streamed?: boolean;
  /** Generators: how long after the request's arrival to send the answer (ms; default 0). */
  latencyMs?: number | undefined;
  /** Generators and forwarders: the limiter to apply to this answer (see `api.limiters`). */
  limiter?: string | undefined;
}

type MaybePromise<T> = T | Promise<T>;

/** Answers a request, or returns undefined to let the next generator try. */
export type Generator = (request: SimRequest) => MaybePromise<SimResponse | undefined | void>;

/**
 * Record mode. Returns undefined to pass to the next forwarder (the last one is the built-in
 * forwarder to AZURE_OPENAI_ENDPOINT), or:
 * - `{ response, persist }`: the extension answered (it may have called a service itself);
 *   `persist` (default true for 2xx answers) records it for replay;
 * - `{ url, headers?, persist? }`: the built-in forwarder sends the request to `url` (a full URL,
 *   query included) with these headers instead of the client's (`undefined`: the client's, less
 *   credentials), streams the answer back, and records it when `persist(response)` says so
 *   (default: 2xx answers).
 */
export type Forwarder = (request: SimRequest) => MaybePromise<ForwardDecision | undefined | void>;

export type ForwardDecision =
  | { readonly response: SimResponse; readonly persist?: boolean }
  | {
      readonly url: string;
      readonly headers?: Record<string, string>;
      readonly persist?: (response: { status: number; headers: Record<string, string>; body: Buffer }) => boolean;
    };

/** Returns the response unchanged to admit it, or another (typically a 429) to refuse it. */
export type Limiter = (request: SimRequest, response: SimResponse) => SimResponse;

/**
 * Runs after authentication and the body read, before routing. Changes the request in place, or
 * returns a response to answer at once (generators, forwarders and recordings are then skipped).
 */
export type RequestHook = (request: SimRequest) => MaybePromise<SimResponse | undefined | void>;

/**
 * Runs just before a response is written, in every mode, for every response (errors included).
 * Changes the response in place or returns a replacement. Synchronous: it runs on the write path.
 */
export type ResponseHook = (request: SimRequest, response: SimResponse) => SimResponse | undefined | void;

/**
 * Sets the target duration of a timed answer (generated or replayed): milliseconds from the
 * request's arrival to the whole answer (a stream's events are spread over it in proportion).
 * Returns the new target, or undefined to keep it. Synchronous.
 */
export type LatencyHook = (request: SimRequest, target: LatencyTarget) => number | undefined | void;

export interface LatencyTarget {
  /** The target the simulator (or the previous latency hook) chose. */
  readonly ms: number;
  /** `chat`, `completions`, `embeddings`, `transcriptions`, `translations`, `images`; undefined for extension routes and replays. */
  readonly operation: string | undefined;
  readonly streamed: boolean;
}

/** Where a generator or forwarder goes in its chain (default: before every built-in one). */
export interface Placement {
  /** A name to refer to it by (replace, remove, before/after). */
  readonly name?: string;
  readonly before?: string;
  readonly after?: string;
}

/** An ordered chain of named handlers; the built-in ones are there by name. */
export interface Chain<H> {
  add(handler: H, placement?: Placement): void;
  /** Replaces the handler of that name (built-in or not); an unknown name is an error. */
  replace(name: string, handler: H): void;
  remove(name: string): void;
  /** Names in order; unnamed extension handlers show as `extension#<n>`. */
  names(): string[];
}

export interface Deployment {
  readonly name: string;
  readonly model: string;
  /** The model's tokenizer: `cl100k_base` or `o200k_base`. */
  readonly encoding: string;
  readonly tokensPerMinute: number;
  readonly requestsPerMinute: number;
  readonly embeddingSize: number;
  /** True for a made-up deployment (a name nobody configured, with ALLOW_UNDEFINED_OPENAI_DEPLOYMENTS). */
  readonly undefinedDeployment: boolean;
}

/** A path pattern's parameters when it matches (`{name}` placeholders), else undefined. */
export type RouteMatcher = (request: Pick<SimRequest, 'method' | 'path'>) => Record<string, string> | undefined;

export interface RequestsPerSecondOptions {
  /** 429 body message; `{seconds}` is replaced with the wait. Default: AOAI-style wording. */
  readonly message?: string;
}

export interface ExtensionApi {
  /** API_VERSION of the running simulator. */
  readonly version: number;
  readonly mode: Mode;
  /** The extension's name (its file or folder name), as errors and the log show it. */
  readonly name: string;
  readonly log: { debug(m: string): void; info(m: string): void; warn(m: string): void; error(m: string): void };

  readonly requestHooks: { add(hook: RequestHook): void };
  readonly responseHooks: { add(hook: ResponseHook): void };
  readonly latency: { add(hook: LatencyHook): void };
  /** Generate mode. Built-ins: `chat`, `completions`, `embeddings`, `transcriptions`, `translations`, `images`. */
  readonly generators: Chain<Generator>;
  /** Record mode. Built-in: `openai` (to AZURE_OPENAI_ENDPOINT, `/openai/…` paths only). */
  readonly forwarders: Chain<Forwarder>;
  readonly limiters: {
    /** A limiter a generator or forwarder selects with `response.limiter = name`. */
    define(name: string, limiter: Limiter): void;
    /** Built-in: `openai` (the deployment's token or request limit), `none`. */
    get(name: string): Limiter | undefined;
    /**
     * A limiter admitting `n` requests per second (sliding window) across the whole process: its
     * window is shared by every front-end thread (by `name`), so call it with the same name in
     * `initialize` on each thread. Refusals are 429 with `retry-after`.
     */
    requestsPerSecond(name: string, n: number, options?: RequestsPerSecondOptions): Limiter;
  };

  /** A matcher for `method` and a path pattern with `{name}` placeholders (`/docs/{id}:analyze`). */
  route(method: string, pattern: string): RouteMatcher;
  /** Whether the request carries the simulator's API key: `api-key` / `Authorization: Bearer` by default, or the named header. */
  isAuthorized(request: SimRequest, options?: { header?: string }): boolean;
  readonly deployments: {
    /** The deployment a request may name (configured, or made up when undefined ones are allowed). */
    get(name: string): Deployment | undefined;
  };
  /** Lorem text of exactly `tokens` tokens (in the encoding's count; default cl100k_base). */
  lorem(tokens: number, options?: { encoding?: string }): string;
  countTokens(text: string, options?: { encoding?: string }): number;
  /** A JSON response (`content-type: application/json`). */
  json(status: number, value: unknown, headers?: Record<string, string>): SimResponse;
  /** An error in the AOAI envelope `{"error":{"code","message","type","param"}}`. */
  errorResponse(status: number, code: string, message: string, headers?: Record<string, string>): SimResponse;
  readonly errors: {
    unauthorized(): SimResponse;
    notFound(): SimResponse;
    deploymentNotFound(): SimResponse;
    invalidValue(param: string, detail: string): SimResponse;
    tooManyRequests(retryAfterSeconds: number, message?: string): SimResponse;
    internal(detail: string): SimResponse;
  };
}

/** What an extension module exports: `initialize` (or a default export) and optionally `apiVersion`. */
export interface ExtensionModule {
  readonly apiVersion?: number;
  readonly initialize?: (api: ExtensionApi) => void | Promise<void>;
  readonly default?: ((api: ExtensionApi) => void | Promise<void>) | { initialize?: (api: ExtensionApi) => void | Promise<void> };
}
