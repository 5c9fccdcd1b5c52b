/**
 * Recording files as YAML (python-compatibility.md §4.3; the layout is recording-file.ts'): read
 * with a guard against alias bombs, written the way the Python simulator writes them. Main's
 * business only (process/recordings.ts), so js-yaml is loaded by main and not by every thread.
 */
import yaml from 'js-yaml';
import { MAX_STORED_BODY, RecordingFileError, entryOf, isRaw, type ReplayEntry } from './recording-file.js';

type Raw = Record<string, unknown>;

export interface ParsedRecordingFile {
  /** Ready-to-serve answers, by key. */
  readonly entries: ReplayEntry[];
  /** The interactions as they are in the file, kept to rewrite it with new ones appended. */
  readonly interactions: unknown[];
}

/**
 * How far YAML aliases may expand a file: its expanded weight (characters of every string and
 * key, plus one per other node, counting an aliased node again at each use) may be at most this
 * many times its length, plus a floor. Ordinary reuse (an anchored header map) stays far below;
 * a "billion laughs" file of 1 KB that expands to a gigabyte is refused before anything walks it.
 */
export const MAX_YAML_EXPANSION = { factor: 10, floor: 1_000_000 } as const;

class ExpansionLimit extends Error {}

/** A listener for js-yaml that weighs each node as it closes, and stops the load past `limit`. */
function expansionGuard(limit: number): (event: string, state: { result: unknown }) => void {
  const weights = new WeakMap<object, number>();
  const weightOf = (v: unknown): number =>
    typeof v === 'string' ? v.length : typeof v === 'object' && v !== null ? (weights.get(v) ?? 1) : 1;
  return (event, state) => {
    const v = state.result;
    if (event !== 'close' || typeof v !== 'object' || v === null || weights.has(v)) return;
    let weight = 1;
    if (v instanceof Uint8Array) weight += v.length;
    else if (Array.isArray(v)) for (const item of v) weight += weightOf(item);
    else for (const key of Object.keys(v)) weight += key.length + weightOf((v as Raw)[key]);
    weights.set(v, weight);
    if (weight > limit) throw new ExpansionLimit(`its aliases expand it past ${limit.toLocaleString('en-US')} characters (${MAX_YAML_EXPANSION.factor}× its size); refused as an alias bomb`);
  };
}

/** Parses one file's text. Errors name the file and, for YAML, the line. */
export function parseRecordingFile(content: string, file: string): ParsedRecordingFile {
  let doc: unknown;
  try {
    doc = yaml.load(content, { filename: file, listener: expansionGuard(MAX_YAML_EXPANSION.floor + MAX_YAML_EXPANSION.factor * content.length) });
  } catch (err) {
    if (err instanceof ExpansionLimit) throw new RecordingFileError(`${file}: ${err.message}`);
    const mark = (err as { mark?: { line: number } }).mark;
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    throw new RecordingFileError(`${file}${mark ? `:${mark.line + 1}` : ''}: not valid YAML (${reason})`);
  }
  if (doc === undefined || doc === null) return { entries: [], interactions: [] };
  if (!isRaw(doc) || !Array.isArray(doc.interactions)) throw new RecordingFileError(`${file}: expected a mapping with an "interactions" list`);
  const interactions = doc.interactions as unknown[];
  return { entries: interactions.map((item, i) => entryOf(item, `${file}: interaction ${i + 1}`, file)), interactions };
}

/** Serialises a file the way the Python simulator writes it (sorted keys, long bodies dropped). */
export function serializeRecordingFile(interactions: readonly unknown[]): string {
  const trimmed = interactions.map((it) => {
    const body = isRaw(it) && isRaw(it.request) ? it.request.body : null;
    return (typeof body === 'string' || body instanceof Uint8Array) && body.length > MAX_STORED_BODY ? { ...(it as Raw), request: { ...((it as Raw).request as Raw), body: null } } : it;
  });
  return yaml.dump({ interactions: trimmed, version: 1 }, { sortKeys: true, noArrayIndent: true, lineWidth: -1 });
}
