/**
 * A text the simulator composed (tool arguments, a JSON answer) as the tokens a model would send:
 * the tokenizer's own split, so a stream has one event per token and `usage` counts exactly what
 * was sent. A token that ends inside a multi-byte character is joined with the next, so no event
 * carries half a character (the count stays the token count). The per-token strings are only
 * decoded when a stream asks for them (a JSON answer needs the count alone). `encode`, not the
 * cached `count`: generated texts are unique, and would only push prompts out of the count cache.
 */
import type { Generated } from './lorem.js';
import type { Encoding } from '../tokens/tokenizer.js';

// No `parts`: composed texts are streamed as a ComposedPlan (token-events.ts), not corpus ranges.
export interface Pieces extends Omit<Generated, 'parts'> {
  readonly truncated: boolean;
}

function decodePieces(ids: readonly number[], encoding: Encoding): string[] {
  const tokens: string[] = [];
  let pending: number[] = [];
  for (const id of ids) {
    pending.push(id);
    const piece = encoding.decode(pending);
    if (piece.endsWith('\uFFFD') && pending.length < 4) continue;
    tokens.push(piece);
    pending = [];
  }
  if (pending.length > 0) tokens.push(encoding.decode(pending));
  return tokens;
}

export function tokenPieces(text: string, encoding: Encoding, limit?: number): Pieces {
  const ids = encoding.encode(text);
  const truncated = limit !== undefined && ids.length > limit;
  const kept = truncated ? ids.slice(0, limit) : ids;
  let tokens: string[] | undefined;
  return {
    text: truncated ? encoding.decode(kept) : text,
    count: kept.length,
    get tokens() {
      return (tokens ??= decodePieces(kept, encoding));
    },
    truncated,
  };
}
