/**
 * A response captured from the simulator, for the bare server to answer with: same status, same
 * headers, same body bytes, and the same framing (a stream goes out chunked, as the simulator
 * sends it). That is what makes "ratio to the bare server" measure the simulator's own work and
 * nothing else.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface CannedResponse {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
  /** Sent with chunked transfer encoding (streams) rather than a content-length. */
  readonly chunked: boolean;
}

/** Headers uWebSockets.js writes itself (or that describe framing, not content). */
const FRAMING = new Set(['date', 'uwebsockets', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);

export async function captureResponse(url: string, init: RequestInit): Promise<CannedResponse> {
  const res = await fetch(url, init);
  const headers: [string, string][] = [];
  res.headers.forEach((value, name) => {
    if (!FRAMING.has(name)) headers.push([name, value]);
  });
  return { status: res.status, headers, body: await res.text(), chunked: res.headers.get('transfer-encoding') === 'chunked' };
}

export const writeCannedResponse = (file: string, response: CannedResponse): void => writeFileSync(file, JSON.stringify(response));
export const readCannedResponse = (file: string): CannedResponse => JSON.parse(readFileSync(file, 'utf8')) as CannedResponse;
