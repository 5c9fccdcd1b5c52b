/**
 * The threads of the bare servers (bare-server.ts, bare-paced-server.ts), which start and stop
 * alike: main starts one worker per thread on the server's own module, says `<name> listening on
 * <port>` once every one listens (what processes.ts waits for), and asks them all to stop on
 * SIGTERM or SIGINT; each worker listens, says so, and closes its app when asked.
 */
import { parentPort, Worker } from 'node:worker_threads';
import uWS from 'uWebSockets.js';

/** Main: `threads` workers of `module`, each given `data`. */
export function startBareThreads(module: URL, threads: number, data: unknown, name: string, port: number): void {
  let ready = 0;
  const workers = Array.from({ length: threads }, () => new Worker(module, { workerData: data }));
  for (const worker of workers) {
    worker.on('message', () => {
      if (++ready === workers.length) process.stdout.write(`${name} listening on ${port}\n`);
    });
  }
  const stop = (): void => workers.forEach((worker) => worker.postMessage('stop'));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** A worker: `app` listens on `port` until main asks it to stop (`onStop` runs first). */
export function serveUntilStopped(app: uWS.TemplatedApp, port: number, onStop?: () => void): void {
  let socket: uWS.us_listen_socket | undefined;
  app.listen(port, (listening) => {
    socket = listening || undefined;
    parentPort!.postMessage('up');
  });
  parentPort!.on('message', () => {
    onStop?.();
    if (socket) uWS.us_listen_socket_close(socket);
    (app as unknown as { close(): void }).close();
    parentPort!.close();
  });
}
