/**
 * Bad input and bad clients cost one request, never the process: a burst of malformed requests
 * over raw sockets, clients that vanish before, during and after their answer, and a client too
 * slow to read — then a normal request must still succeed and nothing may have been logged as a
 * server fault.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureClient } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator;
let port: number;

beforeAll(async () => {
  // fill: long streams must really be long (max_tokens 8000 → 8000 token events).
  sim = await startSimulator({ SIMULATOR_MAX_BODY_BYTES: String(256 * 1024), SIMULATOR_ANSWER_LENGTH: 'fill' });
  port = Number(new URL(sim.url).port);
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends raw bytes and collects what comes back until the server closes or `ms` pass. */
async function exchange(data: string | Buffer, ms = 2_000): Promise<string> {
  const socket = await open();
  return new Promise((resolve) => {
    let received = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (d) => {
      received += d.toString('latin1');
      // One complete answer is enough: stop at the end of a content-length body.
      const m = /content-length: (\d+)\r\n[\s\S]*?\r\n\r\n/i.exec(received);
      if (m && received.length >= received.indexOf('\r\n\r\n') + 4 + Number(m[1])) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(data);
  });
}

const request = (path: string, body: string, headers: Record<string, string> = {}): string => {
  const h = { host: 'localhost', 'api-key': sim.apiKey, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers };
  return `POST ${path} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
};

const CHAT = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';

describe('robustness', () => {
  it('answers a burst of malformed requests with errors, then serves normally', async () => {
    const bad: (string | Buffer)[] = [];
    for (let i = 0; i < 20; i++) {
      bad.push(
        request(CHAT, '{"messages": [', {}), // invalid JSON
        request(CHAT, '"just a string"'), // JSON, not an object
        request(CHAT, JSON.stringify({ messages: 'hello' })), // mistyped field
        request(CHAT, JSON.stringify({ messages: [{ role: 'user', content: 'x' }], n: 1e9 })), // out of range
        request(CHAT, '{}', { 'api-key': 'nope' }), // unauthorised
        request(CHAT, '', { 'content-length': String(10 * 1024 * 1024) }), // declared too large
        request('/openai/deployments/gpt-4o/chat/completions', 'x'.repeat(300 * 1024)), // actually too large
        'GARBAGE / NOT-HTTP\r\n\r\n',
        Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10]),
        request('/%E0%A4%A/deployments', '{}'), // malformed escape in the path
      );
    }
    const answers = await Promise.all(bad.map((b) => exchange(b)));
    const statuses = answers.map((a) => /^HTTP\/1\.1 (\d{3})/.exec(a)?.[1]);
    // Each HTTP-shaped request got its specific error; non-HTTP bytes just get the connection closed.
    for (let i = 0; i < 20; i++) {
      expect(statuses.slice(i * 10, i * 10 + 7)).toEqual(['400', '400', '400', '400', '401', '413', '413']);
      expect(statuses[i * 10 + 9]).toBe('404');
    }
    const ok = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'still there?' }], max_tokens: 5 });
    expect(ok.usage!.completion_tokens).toBe(5);
  });

  it('survives clients that disconnect before, during and after a long stream, and slow readers', async () => {
    // A long streamed answer (4 × 8000 token events, several MB): big enough for back-pressure.
    const big = request(CHAT, JSON.stringify({ messages: [{ role: 'user', content: 'go' }], max_tokens: 8000, n: 4, stream: true }));
    const vanish = async (mode: 'before-body' | 'mid-stream' | 'slow-reader'): Promise<void> => {
      const socket = await open();
      if (mode === 'before-body') {
        socket.write(big.slice(0, big.indexOf('\r\n\r\n') + 10)); // headers and part of the body
        await new Promise((r) => setTimeout(r, 50));
        socket.destroy();
        return;
      }
      if (mode === 'slow-reader') socket.pause(); // never reads: the server's buffer fills up
      socket.write(big);
      await new Promise<void>((resolve) => {
        if (mode === 'mid-stream') socket.once('data', () => resolve());
        else setTimeout(resolve, 1_500);
      });
      socket.destroy();
    };
    const modes = ['before-body', 'mid-stream', 'slow-reader'] as const;
    await Promise.all(Array.from({ length: 24 }, (_, i) => vanish(modes[i % 3]!)));
    // Give the server a moment to hit the closed sockets with its remaining writes.
    await new Promise((r) => setTimeout(r, 500));

    const stream = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'ok?' }], max_tokens: 20, stream: true });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    expect(content.length).toBeGreaterThan(0);
    expect(sim.process.exitCode).toBeNull();
    expect(sim.stderr()).not.toMatch(/ERROR|failed|exited/);
  });

  it('streams a long answer completely to a client that reads it all', async () => {
    const stream = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'long' }], max_tokens: 8000, n: 2, stream: true });
    const counts = [0, 0];
    let done = 0;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        if (c.delta.content) counts[c.index]!++;
        if (c.finish_reason) done++;
      }
    }
    expect(counts).toEqual([8000, 8000]);
    expect(done).toBe(2);
  });
});
