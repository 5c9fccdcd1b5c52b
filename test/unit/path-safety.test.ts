/** Issue 11, item 4: a path is judged at every decoding level before it may go upstream. */
import { describe, expect, it } from 'vitest';
import { isSafePath, unsafePathReason } from '../../src/core/wire/path-safety.js';

/** `%2e` encoded again n times: `%252e`, `%25252e` … */
const encodedTimes = (s: string, n: number): string => (n === 0 ? s : encodedTimes(s.replace(/%/g, '%25'), n - 1));

describe('isSafePath', () => {
  it.each([
    ['/openai/deployments/../x', 'a dot segment (. or ..)'],
    ['/openai/deployments/./x', 'a dot segment (. or ..)'],
    ['/openai/deployments/x/..', 'a dot segment (. or ..)'],
    ['/openai/deployments/..%2F..%2Fetc/chat/completions', 'a dot segment (. or ..)'],
    ['/openai/deployments/%2e%2e%2f%2e%2e%2fx/chat/completions', 'a dot segment (. or ..)'],
    ['/openai/deployments/%2E%2E/chat', 'a dot segment (. or ..)'],
    ['/openai/deployments/%252e%252e%252fx/chat', 'a dot segment (. or ..)'],
    ['/openai/deployments/%25252e%25252e/chat', 'a dot segment (. or ..)'],
    ['/openai/deployments/a%00b/chat/completions', 'a control character (NUL included)'],
    ['/openai/deployments/a%2500b/chat/completions', 'a control character (NUL included)'],
    ['/openai/deployments/a%0d%0aHost:%20x/chat', 'a control character (NUL included)'],
    ['/openai/deployments/a\u0001b/chat', 'a control character (NUL included)'],
    ['/openai/deployments/a\\b/chat', 'a backslash'],
    ['/openai/deployments/a%5cb/chat', 'a backslash'],
    ['/openai/deployments/a%255cb/chat', 'a backslash'],
    ['/openai/deployments/a%zzb/chat', 'invalid percent-encoding'],
    ['/openai/deployments/a%E0%A4%A/chat', 'invalid percent-encoding'],
    [`/openai/deployments/${encodedTimes('%2e', 7)}x/chat`, 'percent-encoding nested too deep'],
  ])('%s is refused: %s', (path, reason) => {
    expect(unsafePathReason(path)).toBe(reason);
    expect(isSafePath(path)).toBe(false);
  });

  it.each([
    '/openai/deployments/gpt-4o/chat/completions',
    '/openai/deployments/my.deployment/chat/completions',
    '/openai/deployments/a..b/embeddings',
    '/openai/deployments/my%20deployment/chat/completions',
    '/openai/deployments/caf%C3%A9/chat/completions',
    '/openai/deployments/...x/chat',
  ])('%s is safe', (path) => {
    expect(unsafePathReason(path)).toBeUndefined();
  });
});
