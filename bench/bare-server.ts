/**
 * The baseline: a bare uWebSockets.js server that answers every request with a fixed
 * chat-completion JSON of the same size as the simulator's, in the same number of threads.
 * Nothing the simulator does per request (routing, auth, parsing, tokenising, generating) happens
 * here, so its throughput is the ceiling for this machine and load generator.
 *
 *   node dist/bench/bare-server.js <port> <threads> <body-file>
 */
import { readFileSync } from 'node:fs';
import { isMainThread, Worker, workerData, parentPort } from 'node:worker_threads';
import uWS from 'uWebSockets.js';

interface Data {
  port: number;
  body: string;
}

if (isMainThread) {
  const [port, threads, bodyFile] = process.argv.slice(2);
  const body = readFileSync(bodyFile!, 'utf8');
  let ready = 0;
  const workers: Worker[] = [];
  for (let i = 0; i < Number(threads); i++) {
    const w = new Worker(new URL(import.meta.url), { workerData: { port: Number(port), body } satisfies Data });
    workers.push(w);
    w.on('message', () => {
      if (++ready === workers.length) process.stdout.write(`bare server listening on ${port}\n`);
    });
  }
  const stop = (): void => workers.forEach((w) => w.postMessage('stop'));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const { port, body } = workerData as Data;
  const app = uWS.App();
  let socket: uWS.us_listen_socket | undefined;
  app.any('/*', (res) => {
    // Read (and drop) the body as a real server must, then answer.
    res.onAborted(() => {});
    res.onData((_chunk, isLast) => {
      if (isLast) res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(body));
    });
  });
  app.listen(port, (s) => {
    socket = s || undefined;
    parentPort!.postMessage('up');
  });
  parentPort!.on('message', () => {
    if (socket) uWS.us_listen_socket_close(socket);
    (app as unknown as { close(): void }).close();
    parentPort!.close();
  });
}
