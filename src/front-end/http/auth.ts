/**
 * API-key authentication: `api-key: <key>` or `Authorization: Bearer <key>`. The comparison runs
 * over every character of the configured key whatever was presented — no early exit on the first
 * difference — so its time says nothing about how much of a guess was right. (Hashing both sides
 * with node:crypto would cost ~9 µs a request: measured as a fifth of the whole pipeline.)
 */
import type { RequestHeaders } from './exchange.js';
import { checkEntraToken, type EntraSettings } from '../../core/auth/entra.js';
import { errors, type ApiError } from '../../core/errors.js';

const BEARER = /^bearer\s+/i;

export function constantTimeEqual(presented: string, expected: string): boolean {
  let diff = presented.length === expected.length ? 0 : 1;
  // charCodeAt past the end is NaN, and NaN | 0 is 0: the loop length depends only on `expected`.
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ (presented.charCodeAt(i) | 0);
  return diff === 0;
}

export class ApiKeyAuth {
  readonly #expected: string;
  readonly #entra: EntraSettings | undefined;

  /** `entra`: Entra ID bearer tokens are accepted too when it is enabled (SIMULATOR_ENTRA_AUTH). */
  constructor(key: string, entra?: EntraSettings) {
    this.#expected = key;
    this.#entra = entra?.enabled ? entra : undefined;
  }

  check(headers: RequestHeaders): boolean {
    let presented = headers.apiKey;
    if (presented === '') {
      const bearer = BEARER.exec(headers.authorization);
      if (!bearer) return false;
      presented = headers.authorization.slice(bearer[0].length);
      if (this.#entra && checkEntraToken(presented, this.#entra) === 'accepted') return true;
    }
    return presented !== '' && constantTimeEqual(presented, this.#expected);
  }

  /** The 401 for headers `check` refused: the bearer-token bodies for a refused JWT, else the key's. */
  rejection(headers: RequestHeaders): ApiError {
    const bearer = headers.apiKey === '' ? BEARER.exec(headers.authorization) : null;
    if (!this.#entra || !bearer) return errors.unauthorized();
    const verdict = checkEntraToken(headers.authorization.slice(bearer[0].length), this.#entra);
    if (verdict === 'tenant-not-allowed') return errors.permissionDenied();
    return verdict === 'invalid' ? errors.invalidBearerToken() : errors.unauthorized();
  }
}
