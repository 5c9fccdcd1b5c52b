/**
 * The baseline: a bare uWebSockets.js server that answers every request with one canned response
 * captured from the simulator (status, headers, body, framing: see canned-response.ts), in the
 * same number of threads. Nothing the simulator does per request (routing, auth, parsing,
 * tokenising, generating, limiting, scheduling) happens here, so its throughput is the ceiling for
 * this machine, this answer and this load generator.
 *
 *   node dist/bench/bare-server.js <port> <threads> <response-file>
 */
import { STATUS_CODES } from 'node:http';
import { isMainThread, Worker, workerData, parentPort } from 'node:worker_threads';
import uWS from 'uWebSockets.js';
import { readCannedResponse, type CannedResponse } from './canned-response.js';

interface Data {
  port: number;
  response: CannedResponse;
}

if (isMainThread) {
  const [port, threads, responseFile] = process.argv.slice(2);
  const response = readCannedResponse(responseFile!);
  let ready = 0;
  const workers: Worker[] = [];
  for (let i = 0; i < Number(threads); i++) {
    const w = new Worker(new URL(import.meta.url), { workerData: { port: Number(port), response } satisfies Data });
    workers.push(w);
    w.on('message', () => {
      if (++ready === workers.length) process.stdout.write(`bare server listening on ${port}\n`);
    });
  }
  const stop = (): void => workers.forEach((w) => w.postMessage('stop'));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const { port, response } = workerData as Data;
  const status = `${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}`;
  const app = uWS.App();
  let socket: uWS.us_listen_socket | undefined;
  app.any('/*', (res) => {
    // Read (and drop) the body as a real server must, then answer.
    res.onAborted(() => {});
    res.onData((_chunk, isLast) => {
      if (!isLast) return;
      res.cork(() => {
        res.writeStatus(status);
        for (const [name, value] of response.headers) res.writeHeader(name, value);
        // A stream's body goes out as a chunk and an end, as the simulator writes it.
        if (response.chunked) res.write(response.body);
        res.end(response.chunked ? undefined : response.body);
      });
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
