/**
 * Stored responses (the Responses API's `store`, default true): what is kept per response, the
 * small interface every store implements, the ids that say where a record lives, and the
 * in-memory store.
 *
 * The interface is all a store must do — mint an id, get, put, delete, each record carrying its
 * byte size and expiry — so the embedded store (each front-end thread keeps the records it made,
 * front-end/responses-store.ts) and a shared one (Redis, for several replicas) are
 * interchangeable: the front end sees only `ResponseStore`. Everything else is pure functions over
 * a record: its status at a given time (background responses move queued → in_progress →
 * completed on a timeline set at creation, so no timer runs and every thread and replica agrees),
 * and the paging of its input items.
 */
import { randomHex } from '../ids.js';
import { valueBytes } from '../store/key-value.js';

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
 * A record as a store is given it: its JSON, encoded once by the thread that made it. Stores move
 * strings — one copy across a thread boundary or a network, none of the record's structure to walk.
 */
export interface StoredEntry {
  readonly id: string;
  readonly json: string;
  readonly expiresAt: number;
}

/**
 * `responseJson`: the response object's JSON when the caller already has it (the generator wrote
 * it for the answer), so the bulk of the record is not serialised twice.
 */
export function encodeRecord(record: StoredResponse, responseJson?: string): StoredEntry {
  if (responseJson === undefined) return { id: record.id, json: JSON.stringify(record), expiresAt: record.expiresAt };
  const { response: _response, ...rest } = record;
  return { id: record.id, json: `{"response":${responseJson},${JSON.stringify(rest).slice(1)}`, expiresAt: record.expiresAt };
}
export const decodeRecord = (entry: StoredEntry): StoredResponse => JSON.parse(entry.json) as StoredResponse;

/**
 * A response id, `resp_` + 48 lowercase hex digits as the service's, that names the front-end
 * thread keeping its record: the last two digits are a byte whose remainder by the thread count
 * is `owner`, drawn at random among those bytes so that ids show no pattern. SIMULATOR_THREADS is
 * at most 256 (config/bounds.ts), so every thread has at least one byte.
 */
export function responseId(owner: number, threads: number): string {
  const choices = Math.floor((255 - owner) / threads) + 1;
  const tag = owner + threads * Math.floor(Math.random() * choices);
  return `resp_${randomHex(46)}${tag < 16 ? '0' : ''}${tag.toString(16)}`;
}

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/**
 * The thread (0 … threads − 1) that keeps the record of `id`: the one `responseId` named, or, for
 * an id made elsewhere (a recording's, a client's guess), the last two digits when they are hex
 * (the service's ids are), else a hash of the id. Every thread computes the same owner.
 */
export function ownerOf(id: string, threads: number): number {
  if (threads === 1) return 0;
  const n = id.length;
  if (n >= 2 && isHex(id.charCodeAt(n - 2)) && isHex(id.charCodeAt(n - 1))) return Number.parseInt(id.slice(-2), 16) % threads;
  let hash = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < n; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % threads;
}

/** What every store does; asynchronous because a record may be on another thread or across the network. */
export interface ResponseStore {
  /** The id of a new response: one this store will find (the embedded store's names its thread). */
  newId(): string;
  get(id: string): Promise<StoredResponse | undefined>;
  /** Stores (or replaces) the record (`encodeRecord`); resolves once a `get` from any thread (and replica) would see it. */
  put(entry: StoredEntry): Promise<void>;
  /** True when a record was there. */
  delete(id: string): Promise<boolean>;
}

/** A record as the memory store keeps it: its JSON as UTF-8 bytes. */
interface Kept {
  readonly id: string;
  readonly bytes: Buffer;
  readonly expiresAt: number;
}

/**
 * Records in memory: a byte budget (oldest records evicted first once it is passed) and expiry
 * (checked on read, and the oldest expired ones dropped on write). Synchronous; each front-end
 * thread owns one, with its share of the budget, and answers the other threads' questions from it.
 *
 * A record is kept as UTF-8 bytes in a Buffer of its own, not as the string it came as: it lives
 * for many collections, and a string that does is copied twice by the young-generation collector
 * and then sits in the old generation, where a Buffer is a small object pointing outside the
 * heap. The budget counts those bytes. (Measured, docs/architecture.md "Stored responses": a
 * front-end thread's scavenges per stored response halved.)
 */
export class MemoryResponseStore {
  // A Map iterates in insertion order: a replaced record moves to the end, so the first is the oldest.
  readonly #records = new Map<string, Kept>();
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
    return { id, json: record.bytes.toString('utf8'), expiresAt: record.expiresAt };
  }

  /** False when the record alone is larger than the whole budget (it is then not kept). */
  put(entry: StoredEntry): boolean {
    const old = this.#records.get(entry.id);
    if (old) this.#remove(old);
    const size = valueBytes(entry.json);
    if (size > this.budgetBytes) return false;
    // Its own memory (not a slice of Buffer's shared pool, which one kept record would pin whole).
    const bytes = Buffer.allocUnsafeSlow(size);
    bytes.write(entry.json, 'utf8');
    this.#records.set(entry.id, { id: entry.id, bytes, expiresAt: entry.expiresAt });
    this.#bytes += size;
    const now = this.now();
    for (const oldest of this.#records.values()) {
      if (this.#bytes <= this.budgetBytes && oldest.expiresAt > now) break;
      this.#remove(oldest);
    }
    return true;
  }

  delete(id: string): boolean {
    const record = this.#records.get(id);
    if (!record) return false;
    this.#remove(record);
    return record.expiresAt > this.now();
  }

  #remove(record: Kept): void {
    this.#records.delete(record.id);
    this.#bytes -= record.bytes.length;
  }
}

/** A store in this thread's memory alone (tests' contexts). */
export class LocalResponseStore implements ResponseStore {
  constructor(readonly memory: MemoryResponseStore) {}
  newId(): string {
    return responseId(0, 1);
  }
  get(id: string): Promise<StoredResponse | undefined> {
    const entry = this.memory.get(id);
    return Promise.resolve(entry && decodeRecord(entry));
  }
  put(entry: StoredEntry): Promise<void> {
    this.memory.put(entry);
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
