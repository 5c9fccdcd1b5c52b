/**
 * `multipart/form-data` bodies (RFC 7578), as the audio operations receive them: each part's
 * name, file name, content type and bytes. Only what a form upload uses — no nested multiparts,
 * no transfer encodings (clients send bytes as they are).
 */

export interface FormPart {
  readonly name: string;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly data: Buffer;
}

/** The boundary of a `multipart/form-data` content type, or undefined if it is not one. */
export function boundaryOf(contentType: string): string | undefined {
  if (!/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The parts of `body`, or undefined if it is not a well-formed form with that boundary. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at < 0) return undefined;
  const parts: FormPart[] = [];
  for (;;) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts; // `--boundary--`: the end
    if (!body.subarray(at, at + 2).equals(CRLF)) return undefined;
    const headerEnd = body.indexOf(HEADER_END, at);
    if (headerEnd < 0) return undefined;
    const headers = parseHeaders(body.toString('latin1', at + 2, headerEnd));
    const dataEnd = body.indexOf(next, headerEnd + 4);
    if (dataEnd < 0) return undefined;
    const disposition = headers.get('content-disposition') ?? '';
    const name = param(disposition, 'name');
    if (!/^form-data\b/i.test(disposition) || name === undefined) return undefined;
    parts.push({ name, filename: param(disposition, 'filename'), contentType: headers.get('content-type'), data: body.subarray(headerEnd + 4, dataEnd) });
    at = dataEnd + 2; // at the delimiter after the CRLF
  }
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** A parameter of a header value (`name="file"`); header bytes were read as latin1, names are UTF-8. */
function param(value: string, key: string): string | undefined {
  const m = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(value);
  if (!m) return undefined;
  const raw = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!;
  return Buffer.from(raw, 'latin1').toString('utf8');
}
