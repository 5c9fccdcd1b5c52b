/**
 * Entra ID bearer tokens, checked offline the way a simulator can (reference §7.4): three
 * base64url segments, a JSON header naming an algorithm, a JSON payload whose `aud` is an
 * Azure OpenAI audience, `exp` in the future and `nbf` in the past (with clock skew), and — when
 * a tenant allow-list is set — a `tid` on it. The signature is not verified: the keys are
 * Entra's, fetched over the network, and a load test's tokens are real ones or test-signed ones.
 */

export interface EntraSettings {
  readonly enabled: boolean;
  readonly audiences: readonly string[];
  /** Allowed `tid` values; empty: any tenant. */
  readonly tenants: readonly string[];
  readonly clockSkewSeconds: number;
}

/** `https://ai.azure.com` is the newest v1 examples' scope; that its tokens carry this `aud` is unconfirmed. */
export const DEFAULT_AUDIENCES = ['https://cognitiveservices.azure.com', 'https://cognitiveservices.azure.com/', 'https://ai.azure.com', 'https://ai.azure.com/'] as const;

export type EntraVerdict = 'accepted' | 'not-a-jwt' | 'invalid' | 'tenant-not-allowed';

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function json(segment: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a bearer value is shaped like a JWT at all (else it is taken as an API key). */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  return parts.length === 3 && SEGMENT.test(parts[0]!) && SEGMENT.test(parts[1]!);
}

export function checkEntraToken(token: string, settings: EntraSettings, nowSeconds: number = Date.now() / 1000): EntraVerdict {
  if (!looksLikeJwt(token)) return 'not-a-jwt';
  const [h, p] = token.split('.') as [string, string, string];
  const header = json(h);
  const payload = json(p);
  if (!header || typeof header.alg !== 'string' || !payload) return 'invalid';
  const aud = payload.aud;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.some((a) => typeof a === 'string' && settings.audiences.includes(a))) return 'invalid';
  const skew = settings.clockSkewSeconds;
  if (typeof payload.exp !== 'number' || nowSeconds >= payload.exp + skew) return 'invalid';
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || nowSeconds < payload.nbf - skew)) return 'invalid';
  if (settings.tenants.length > 0 && !(typeof payload.tid === 'string' && settings.tenants.includes(payload.tid))) return 'tenant-not-allowed';
  return 'accepted';
}
