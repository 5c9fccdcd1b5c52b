/**
 * API-key comparison (src/front-end/http/auth.ts): the no-early-exit character loop the simulator
 * uses against hashing both keys with sha256 and comparing the digests with timingSafeEqual, the
 * alternative docs/architecture.md ("No hashing in auth") measured and rejected.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { constantTimeEqual } from '../../src/front-end/http/auth.js';
import { compare, report, type Timing } from './timing.js';

const KEY = 'Xq3_kP9-vL2mN8rT5wY7zB4cD6fG1h'; // 30 characters, as a generated key
const WRONG = 'Xq3_kP9-vL2mN8rT5wY7zB4cD6fG1j';

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

export function authBench(): Timing[] {
  if (!constantTimeEqual(KEY, KEY) || constantTimeEqual(WRONG, KEY)) throw new Error('constantTimeEqual is wrong');
  let flip = false;
  const presented = (): string => {
    flip = !flip;
    return flip ? KEY : WRONG;
  };
  const timings = compare([
    ['sha256 both + timingSafeEqual', () => timingSafeEqual(sha256(presented()), sha256(KEY))],
    ['constantTimeEqual (the simulator)', () => constantTimeEqual(presented(), KEY)],
  ]);
  report('Auth: one key check, baseline sha256', timings);
  return timings;
}

if (import.meta.url === `file://${process.argv[1]}`) authBench();
