/**
 * A small router over a route table: patterns with `:param` segments, matched segment by segment.
 * Runs of slashes collapse first (`//openai//deployments/x/…` is `/openai/deployments/x/…`), as in
 * the Python simulator.
 */

export interface RouteMatch<R> {
  readonly route: R;
  readonly params: Readonly<Record<string, string>>;
}

export type RouteResult<R> =
  | { readonly kind: 'match'; readonly match: RouteMatch<R> }
  | { readonly kind: 'wrong-method'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

interface Compiled<R> {
  readonly route: R;
  readonly method: string;
  readonly segments: readonly string[];
}

const split = (path: string): string[] => path.split('/').filter((s) => s !== '');

export class Router<R extends { readonly method: string; readonly pattern: string }> {
  readonly #routes: Compiled<R>[];

  constructor(routes: readonly R[]) {
    this.#routes = routes.map((route) => ({ route, method: route.method.toUpperCase(), segments: split(route.pattern) }));
  }

  match(method: string, path: string): RouteResult<R> {
    const parts = split(path);
    const allowed: string[] = [];
    for (const c of this.#routes) {
      const params = matchSegments(c.segments, parts);
      if (!params) continue;
      if (c.method === method) return { kind: 'match', match: { route: c.route, params } };
      allowed.push(c.method);
    }
    return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'none' };
  }
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const part = parts[i]!;
    if (p[0] === ':') (params ??= {})[p.slice(1)] = decodeSegment(part);
    else if (p !== part) return undefined;
  }
  return params ?? {};
}

/** A path segment, percent-decoded; a malformed escape is kept as it is. */
export function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed escape is taken literally, not a crash
  }
}
