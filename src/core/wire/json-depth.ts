/**
 * A depth bound for client JSON. `JSON.parse` itself is iterative and takes any depth, but
 * `JSON.stringify`, structured cloning (postMessage) and any recursive walk of the parsed value
 * overflow the stack at a few thousand levels: "Maximum call stack size exceeded" at some later
 * step, as a 500. So a body nested deeper than any real request is refused up front, as a 400.
 *
 * The check scans the text, counting brackets outside strings: no allocation, no recursion. It
 * first counts opening brackets with `indexOf` (native, several times faster than a JS loop):
 * a body with no more than `max` of them cannot be too deep, and that is the usual case, so the
 * character scan only runs for bodies with many objects or arrays.
 */

/** Far deeper than any real request (a strict structured-output schema allows 10 levels). */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** True when the JSON text nests objects/arrays deeper than `max` (invalid JSON is not judged). */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  // Depth n needs at least 2n characters and n opening brackets.
  if (text.length <= 2 * max || fewOpenings(text, max)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** True when `text` has at most `max` opening brackets (counted natively, stopping past `max`). */
function fewOpenings(text: string, max: number): boolean {
  let n = 0;
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) if (++n > max) return false;
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) if (++n > max) return false;
  return true;
}
