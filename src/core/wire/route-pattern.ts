/**
 * Path patterns for extension routes: `{name}` placeholders anywhere in a segment, as in OpenAPI
 * and Azure's REST docs (`/documentModels/{modelId}:analyze`), which whole-segment `:param`
 * patterns cannot express. A placeholder matches one segment's worth of characters (no `/`).
 */
import { decodeSegment } from './router.js';

export type PathMatcher = (path: string) => Record<string, string> | undefined;

const escape = (text: string): string => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');

export function compilePathPattern(pattern: string): PathMatcher {
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const m of pattern.matchAll(/\{([A-Za-z_][\w]*)\}/g)) {
    source += escape(pattern.slice(last, m.index)) + '([^/]+?)';
    names.push(m[1]!);
    last = m.index! + m[0].length;
  }
  source += escape(pattern.slice(last));
  // Runs of slashes collapse, as for the built-in routes; a trailing slash is tolerated.
  const regex = new RegExp(`^${source.replace(/\/+/g, '/+')}/*$`);
  return (path) => {
    const m = regex.exec(path);
    if (!m) return undefined;
    const params: Record<string, string> = {};
    names.forEach((name, i) => (params[name] = decodeSegment(m[i + 1]!)));
    return params;
  };
}
