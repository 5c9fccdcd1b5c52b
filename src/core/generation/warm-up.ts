/** Loads the encodings and builds the lorem corpora now, so the first request does not pay for it. */
import { corpusFor } from './lorem.js';
import type { EncodingName } from '../models.js';
import { getEncoding } from '../tokens/tokenizer.js';

export const ENCODINGS: readonly EncodingName[] = ['cl100k_base', 'o200k_base'];

export function warmUp(encodings: readonly EncodingName[] = ENCODINGS): void {
  for (const name of encodings) corpusFor(getEncoding(name));
}
