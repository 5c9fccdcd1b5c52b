/**
 * Stored responses (the Responses API's `store`, default true): what is kept per response, the
 * small interface every store implements, and the embedded one.
 *
 * The interface is all a store must do — get, put, delete, each record carrying its byte size and
 * expiry — so the embedded store (main thread's memory, asked over the thread protocol) and a
 * shared one (Redis, for several replicas) are interchangeable: the front end sees only
 * `ResponseStore`. Everything else is pure functions over a record: its status at a given time
 * (background responses move queued → in_progress → completed on a timeline set at creation, so no
 * timer runs and every thread and replica agrees), and the paging of its input items.
 */

/** A JSON object as the wire carries it. */
export type JsonObject = Record<string, unknown>;

/** One turn of the conversation as the model saw it: what `previous_response_id` continues. */
export interface ConversationMessage {
  readonly role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  readonly content: string;
  /** A function's result (`function_call_output`). */
  readonly tool_call_id?: string;
  /** The assistant's function calls. */
  readonly tool_calls?: readonly { readonly id: string; readonly type: 'function'; readonly function: { readonly name: string; readonly arguments: string } }[];
}

export interface StoredResponse {
  readonly id: string;
  /** The deployment that made it (a stored response is continued on any deployment, as the service allows). */
  readonly deployment: string;
  /** The response object once finished (status completed or incomplete). */
  readonly response: JsonObject;
  /** Epoch ms: when a background response leaves `queued`, and when it is finished. */
  readonly startsAt: number;
  readonly completesAt: number;
  /** Set by `POST …/cancel` before `completesAt`. */
  readonly cancelledAt?: number;
  /** This request's input items with their ids, oldest first (`GET …/input_items`). */
  readonly inputItems: readonly JsonObject[];
  /** The whole conversation up to and including this response's output (instructions excluded: they are not inherited). */
  readonly conversation: readonly ConversationMessage[];
  /** Epoch ms after which the record is gone. */
  readonly expiresAt: number;
}

/**
 * A record as a store keeps it: its JSON, encoded once by the thread that made it. Stores move and
 * keep strings — one copy across a thread boundary or a network, none of the record's structure to
 * walk — and the budget counts their length (characters: bytes for ASCII JSON).
 */
export interface StoredEntry {
  readonly id: string;
  readonly json: string;
  readonly expiresAt: number;
}

export const encodeRecord = (record: StoredResponse): StoredEntry => ({ id: record.id, json: JSON.stringify(record), expiresAt: record.expiresAt });
export const decodeRecord = (entry: StoredEntry): StoredResponse => JSON.parse(entry.json) as StoredResponse;

/** What every store does; asynchronous because the embedded store is asked across threads and a shared one across the network. */
export interface ResponseStore {
  get(id: string): Promise<StoredResponse | undefined>;
  /** Stores (or replaces) the record; resolves once a `get` from any thread would see it. */
  put(record: StoredResponse): Promise<void>;
  /** True when a record was there. */
  delete(id: string): Promise<boolean>;
}

/**
 * The embedded store: a byte budget (oldest records evicted first once it is passed) and expiry
 * (checked on read, and the oldest expired ones dropped on write). Synchronous; the main thread
 * owns one and answers the threads' questions from it.
 */
export class MemoryResponseStore {
  // A Map iterates in insertion order: a replaced record moves to the end, so the first is the oldest.
  readonly #records = new Map<string, StoredEntry>();
  #bytes = 0;

  constructor(
    readonly budgetBytes: number,
    readonly now: () => number = Date.now,
  ) {}

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#records.size;
  }

  get(id: string): StoredEntry | undefined {
    const record = this.#records.get(id);
    if (!record) return undefined;
    if (record.expiresAt <= this.now()) {
      this.#remove(record);
      return undefined;
    }
    return record;
  }

  /** False when the record alone is larger than the whole budget (it is then not kept). */
  put(record: StoredEntry): boolean {
    const old = this.#records.get(record.id);
    if (old) this.#remove(old);
    if (record.json.length > this.budgetBytes) return false;
    this.#records.set(record.id, record);
    this.#bytes += record.json.length;
    const now = this.now();
    for (const oldest of this.#records.values()) {
      if (this.#bytes <= this.budgetBytes && oldest.expiresAt > now) break;
      this.#remove(oldest);
    }
    return true;
  }

  delete(id: string): boolean {
    const record = this.get(id);
    if (!record) return false;
    this.#remove(record);
    return true;
  }

  #remove(record: StoredEntry): void {
    this.#records.delete(record.id);
    this.#bytes -= record.json.length;
  }
}

/** The embedded store used in the same thread (tests, and a single-threaded set-up). */
export class LocalResponseStore implements ResponseStore {
  constructor(readonly memory: MemoryResponseStore) {}
  get(id: string): Promise<StoredResponse | undefined> {
    const entry = this.memory.get(id);
    return Promise.resolve(entry && decodeRecord(entry));
  }
  put(record: StoredResponse): Promise<void> {
    this.memory.put(encodeRecord(record));
    return Promise.resolve();
  }
  delete(id: string): Promise<boolean> {
    return Promise.resolve(this.memory.delete(id));
  }
}

export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'cancelled' | 'failed';

/** The response object as it stands at `now`: a background response's status follows its timeline. */
export function responseAt(record: StoredResponse, now: number): JsonObject {
  const final = record.response;
  const cancelled = record.cancelledAt !== undefined && record.cancelledAt < record.completesAt;
  if (!cancelled && now >= record.completesAt) return final;
  const status: ResponseStatus = cancelled ? 'cancelled' : now < record.startsAt ? 'queued' : 'in_progress';
  return { ...final, status, completed_at: null, output: [], usage: null, content_filters: null, incomplete_details: null };
}

/** `GET …/input_items`' query: `limit` 1–100 (20), `order` asc|desc (desc), `after` / `before` item ids. */
export interface PageQuery {
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  readonly after: string | undefined;
  readonly before: string | undefined;
}

/** A query string's page, or the message of the 400 naming the bad parameter. */
export function pageQuery(query: string): PageQuery | { readonly param: string; readonly message: string } {
  const q = new URLSearchParams(query);
  const rawLimit = q.get('limit');
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return { param: 'limit', message: `Invalid 'limit': expected an integer between 1 and 100, but got ${JSON.stringify(rawLimit)} instead.` };
  }
  const order = q.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') return { param: 'order', message: `Invalid 'order': expected one of 'asc' or 'desc', but got ${JSON.stringify(order)} instead.` };
  return { limit, order, after: q.get('after') ?? undefined, before: q.get('before') ?? undefined };
}

/** The list object of one page of input items. */
export function inputItemsPage(items: readonly JsonObject[], page: PageQuery): JsonObject {
  let ordered = page.order === 'asc' ? [...items] : [...items].reverse();
  if (page.after !== undefined) {
    const at = ordered.findIndex((item) => item.id === page.after);
    ordered = at === -1 ? [] : ordered.slice(at + 1);
  }
  if (page.before !== undefined) {
    const at = ordered.findIndex((item) => item.id === page.before);
    ordered = at === -1 ? [] : ordered.slice(0, at);
  }
  const data = ordered.slice(0, page.limit);
  return {
    object: 'list',
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data[data.length - 1]?.id as string | undefined) ?? null,
    has_more: ordered.length > data.length,
  };
}
