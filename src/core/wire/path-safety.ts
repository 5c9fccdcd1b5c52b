/**
 * Which request paths a proxy may forward (and a recorder may name a file after). A path is
 * judged in every form it can take on the way: as sent, and after each round of percent-decoding
 * (an upstream or a file system may decode once more than we did, so `%252e%252e` must count as
 * `..`). At every level it must have no dot segment, no backslash, no NUL or other control
 * character, and valid percent-encoding. Pure: the caller decides the status.
 */

/** Rounds of decoding judged; a path still changing after them is refused (nobody encodes 6 times). */
const MAX_DECODINGS = 5;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DOT_SEGMENT = /(^|\/)\.{1,2}(\/|$)/;

/** Why `path` must not be forwarded, or undefined when it is safe. */
export function unsafePathReason(path: string): string | undefined {
  let form = path;
  for (let level = 0; level <= MAX_DECODINGS; level++) {
    if (CONTROL.test(form)) return 'a control character (NUL included)';
    if (form.includes('\\')) return 'a backslash';
    if (DOT_SEGMENT.test(form)) return 'a dot segment (. or ..)';
    if (!form.includes('%')) return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(form);
    } catch {
      return 'invalid percent-encoding';
    }
    if (decoded === form) return undefined;
    form = decoded;
  }
  return 'percent-encoding nested too deep';
}

export const isSafePath = (path: string): boolean => unsafePathReason(path) === undefined;
