/**
 * HTTP/1.1 written and read by hand on a fresh socket: for what a client would hide or refuse (a
 * connection dropped before the status line, a stream cut or stalled, bytes fetch would rewrite).
 */
import { connect } from 'node:net';
import type { Simulator } from './simulator.js';

/** A POST of `body` as JSON with the simulator's key: everything the server sent until it closed, or until `waitMs`. */
export function rawPost(sim: Simulator, path: string, body: object, headers: Record<string, string>, waitMs = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const payload = JSON.stringify(body);
    const socket = connect(Number(new URL(sim.url).port), '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, waitMs);
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', () => {});
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\napi-key: ${sim.apiKey}\r\ncontent-type: application/json\r\nconnection: close\r\n${extra}content-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
  });
}

/** A chunked body's payload, without the chunk sizes; a cut body gives what arrived. */
export function dechunk(text: string): string {
  let out = '';
  for (let i = 0; ; ) {
    const eol = text.indexOf('\r\n', i);
    const size = eol < 0 ? NaN : parseInt(text.slice(i, eol), 16);
    if (!(size > 0)) return out;
    out += text.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
}

/** A raw answer's head and its body (de-chunked when it was sent chunked). */
export function splitAnswer(text: string): { head: string; body: string } {
  const at = text.indexOf('\r\n\r\n');
  if (at < 0) return { head: text, body: '' };
  const head = text.slice(0, at);
  const rest = text.slice(at + 4);
  return { head, body: /transfer-encoding: chunked/i.test(head) ? dechunk(rest) : rest };
}
