/**
 * A text the simulator composed (tool arguments, a JSON answer) as the tokens a model would send:
 * the tokenizer's own split, so a stream has one event per token and `usage` counts exactly what
 * was sent. A token that ends inside a multi-byte character is joined with the next, so no event
 * carries half a character (the count stays the token count).
 */
import type { Generated } from './lorem.js';
import type { Encoding } from '../tokens/tokenizer.js';

export function tokenPieces(text: string, encoding: Encoding, limit?: number): Generated & { readonly truncated: boolean } {
  const ids = encoding.encode(text);
  const kept = limit !== undefined && ids.length > limit ? ids.slice(0, limit) : ids;
  const tokens: string[] = [];
  let pending: number[] = [];
  for (const id of kept) {
    pending.push(id);
    const piece = encoding.decode(pending);
    if (piece.endsWith('\uFFFD') && pending.length < 4) continue;
    tokens.push(piece);
    pending = [];
  }
  if (pending.length > 0) tokens.push(encoding.decode(pending));
  const joined = kept === ids ? text : tokens.join('');
  return { text: joined, count: kept.length, tokens, truncated: kept !== ids };
}
