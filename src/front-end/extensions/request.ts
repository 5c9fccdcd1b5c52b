/**
 * The request as an extension sees it (`SimRequest`), built when the exchange starts: uWS' request
 * is only valid until then. Hooks may rewrite method, path, query, headers and body before the
 * simulator routes it.
 */
import type { Mode, SimRequest } from '../../extension-api.js';
import type { ConfigSnapshot } from '../../core/config/snapshot.js';
import type { Operation } from '../../core/models.js';
import type { RequestHeaders } from '../http/exchange.js';

/** The request model, built when the exchange starts (uWS' request is only valid until then). */
export class ExtensionRequest implements SimRequest {
  #body: Buffer = EMPTY;
  /** A body the plain pipeline read as text: its bytes are made only if a hook asks for them. */
  #bodyText: string | undefined;
  readonly values = new Map<string, unknown>();
  /** Set once the simulator's API key was checked (AOAI paths are checked before the hooks). */
  authenticated = false;
  /** The built-in route the request matches (after the request hooks), if any. */
  route: { readonly operation: Operation } | undefined;
  #text: string | undefined;
  #textOf: Buffer | undefined;

  constructor(
    readonly id: string,
    public method: string,
    public path: string,
    public query: string,
    public headers: Record<string, string>,
    readonly mode: Mode,
    /** The configuration the request arrived under (the `openai` limiter charges its windows). */
    readonly config: ConfigSnapshot,
  ) {}

  get body(): Buffer {
    if (this.#bodyText !== undefined) {
      this.#body = this.#textOf = Buffer.from(this.#bodyText);
      this.#text = this.#bodyText;
      this.#bodyText = undefined;
    }
    return this.#body;
  }

  set body(bytes: Buffer) {
    this.#body = bytes;
    this.#bodyText = undefined;
  }

  /** The body as the plain pipeline read it (JSON routes read text). */
  receivedText(text: string): void {
    this.#bodyText = text;
  }

  text(): string {
    if (this.#bodyText !== undefined) return this.#bodyText;
    if (this.#textOf !== this.body) {
      this.#text = this.body.toString('utf8');
      this.#textOf = this.body;
    }
    return this.#text!;
  }

  json(): unknown {
    try {
      return JSON.parse(this.text());
    } catch {
      return undefined;
    }
  }

  get searchParams(): URLSearchParams {
    return new URLSearchParams(this.query);
  }

  /** The headers the built-in code reads, from the (possibly rewritten) header map; a hook may set a fault. */
  get requestHeaders(): RequestHeaders {
    const h = this.headers;
    return {
      apiKey: h['api-key'] ?? '',
      authorization: h.authorization ?? '',
      contentType: h['content-type'] ?? '',
      contentLength: h['content-length'] ?? '',
      host: h.host ?? '',
      fault: h['x-simulator-fault'] ?? '',
      scenario: h['x-simulator-scenario'] ?? '',
    };
  }
}

const EMPTY = Buffer.alloc(0);
