/**
 * Random ids: response ids shaped like the service's (`chatcmpl-` + 29 characters) and the
 * generated API key. Characters come from a buffer of crypto-grade random bytes refilled every few
 * hundred ids, instead of one random call per character.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const random = new Uint8Array(8_192);
let next = random.length;

/** Where `n` unused random bytes start in the buffer, refilled once it is used up. */
function take(n: number): number {
  if (next + n > random.length) {
    globalThis.crypto.getRandomValues(random);
    next = 0;
  }
  const at = next;
  next += n;
  return at;
}

export function randomId(prefix: string, length = 29): string {
  const at = take(length);
  let id = prefix;
  for (let i = 0; i < length; i++) id += ALPHABET[random[at + i]! & 63];
  return id;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** `length` random lowercase hex digits (even), two per byte of the same buffer. */
export function randomHex(length: number): string {
  const bytes = length >> 1;
  const at = take(bytes);
  let hex = '';
  for (let i = 0; i < bytes; i++) hex += HEX[random[at + i]!];
  return hex;
}

/**
 * A request id in the service's UUID shape, for `x-request-id` / `apim-request-id`: a random
 * per-thread prefix plus a counter, so making one costs a few string operations, not 32 randoms.
 */
const PREFIX = Array.from({ length: 20 }, () => ((Math.random() * 16) | 0).toString(16)).join('');
const ID_HEAD = `${PREFIX.slice(0, 8)}-${PREFIX.slice(8, 12)}-4${PREFIX.slice(12, 15)}-${'89ab'[(Math.random() * 4) | 0]}${PREFIX.slice(15, 18)}-${PREFIX.slice(18, 20)}`;
let sequence = 0;

export function requestId(): string {
  sequence = (sequence + 1) % 0x10000000000;
  return ID_HEAD + sequence.toString(16).padStart(10, '0');
}
