/**
 * Many requests at once, each timed on its own already-open socket from the moment it is written
 * to the moment its whole answer has arrived. A timing test needs this instead of an SDK: 200
 * concurrent SDK calls on two shared cores spend hundreds of milliseconds in the client itself
 * (measured: 200–450 ms on top of a 1 s answer), which would hide the simulator's own accuracy.
 */
import net from 'node:net';

export interface TimedAnswer {
  readonly status: number;
  readonly durationMs: number;
  readonly body: string;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

/** Reads one HTTP/1.1 answer with a content-length (what the simulator sends for JSON). */
function answer(socket: net.Socket, request: string): Promise<TimedAnswer> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      text += chunk;
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? NaN);
      const body = text.slice(headEnd + 4);
      if (Buffer.byteLength(body) < length) return;
      const durationMs = performance.now() - t0;
      socket.destroy();
      resolve({ status: Number(text.slice(9, 12)), durationMs, body });
    });
    const t0 = performance.now();
    socket.write(request);
  });
}

/** POSTs `body` to `path` `n` times at once; every socket is connected before the first is sent. */
export async function timedPosts(port: number, path: string, headers: Readonly<Record<string, string>>, body: string, n: number): Promise<TimedAnswer[]> {
  const head = Object.entries({ host: 'localhost', 'content-type': 'application/json', ...headers, 'content-length': String(Buffer.byteLength(body)) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const request = `POST ${path} HTTP/1.1\r\n${head}\r\n${body}`;
  const sockets = await Promise.all(Array.from({ length: n }, () => connect(port)));
  return Promise.all(sockets.map((socket) => answer(socket, request)));
}
