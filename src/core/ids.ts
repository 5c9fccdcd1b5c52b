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

/**
 * Ids are written as bytes and read back as one flat string: built with `+=` a character at a
 * time, a 29-character id was a chain of 29 cons strings (~930 bytes of young garbage per chat
 * answer, measured with the heap's used size around 10,000 calls), flattened again when written.
 */
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const HEX_CODES = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
let text = Buffer.allocUnsafeSlow(256);

/** `text` with room for `n` bytes. */
function room(n: number): Buffer {
  if (text.length < n) text = Buffer.allocUnsafeSlow(n);
  return text;
}

export function randomId(prefix: string, length = 29): string {
  const at = take(length);
  // Prefixes are the simulator's own ASCII constants: one byte a character.
  const out = room(prefix.length + length);
  const start = out.write(prefix, 0, 'latin1');
  for (let i = 0; i < length; i++) out[start + i] = CODES[random[at + i]! & 63]!;
  return out.toString('latin1', 0, start + length);
}

/** `length` random lowercase hex digits (even), two per byte of the same buffer. */
export function randomHex(length: number): string {
  const bytes = length >> 1;
  const at = take(bytes);
  const out = room(length);
  for (let i = 0; i < bytes; i++) {
    const b = random[at + i]!;
    out[2 * i] = HEX_CODES[b >> 4]!;
    out[2 * i + 1] = HEX_CODES[b & 15]!;
  }
  return out.toString('latin1', 0, 2 * bytes);
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
