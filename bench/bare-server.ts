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
import { isMainThread, workerData } from 'node:worker_threads';
import uWS from 'uWebSockets.js';
import { serveUntilStopped, startBareThreads } from './bare-threads.js';
import { readCannedResponse, type CannedResponse } from './canned-response.js';

interface Data {
  port: number;
  response: CannedResponse;
}

if (isMainThread) {
  const [port, threads, responseFile] = process.argv.slice(2);
  const response = readCannedResponse(responseFile!);
  startBareThreads(new URL(import.meta.url), Number(threads), { port: Number(port), response } satisfies Data, 'bare server', Number(port));
} else {
  const { port, response } = workerData as Data;
  const status = `${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}`;
  const app = uWS.App();
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
  serveUntilStopped(app, port);
}
