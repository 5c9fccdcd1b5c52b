/**
 * The process layout: the main thread owns what is global (settings, the API key, the piscina
 * pool, signals) and starts N front-end threads, each a uWebSockets.js app on the same port.
 * A front-end thread that dies is replaced; the others keep serving meanwhile.
 */
import { createServer } from 'node:net';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { errors } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import type { FrontEndData, FrontEndMessage } from './front-end.js';
import type { Log } from './log.js';
import type { PoolReply, PoolRequest } from './pool-client.js';

const FRONT_END = new URL('./front-end.js', import.meta.url);
const POOL_WORKER = new URL('../workers/generate.js', import.meta.url);
const SHUTDOWN_GRACE_MS = 5_000;

export interface ClusterOptions {
  readonly settings: Settings;
  readonly apiKey: string;
  readonly deploymentConfig: FrontEndData['deploymentConfig'];
  readonly log: Log;
}

/** uWS threads can only share a port chosen up front (an ephemeral bind is not reusable). */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class Cluster {
  readonly #options: ClusterOptions;
  readonly #threads = new Set<Worker>();
  #pool: Piscina | undefined;
  #port = 0;
  #stopping = false;

  constructor(options: ClusterOptions) {
    this.#options = options;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const { settings } = this.#options;
    this.#port = settings.port === 0 ? await freePort(settings.host) : settings.port;
    this.#pool = new Piscina({ filename: POOL_WORKER.href, minThreads: settings.poolThreads, maxThreads: settings.poolThreads });
    const started: Promise<void>[] = [];
    for (let i = 0; i < settings.frontEndThreads; i++) started.push(this.#startFrontEnd(i));
    await Promise.all(started);
  }

  #startFrontEnd(index: number): Promise<void> {
    const { settings, apiKey, deploymentConfig, log } = this.#options;
    const channel = new MessageChannel();
    const data: FrontEndData = { index, settings, apiKey, port: this.#port, deploymentConfig, poolPort: channel.port2 };
    const worker = new Worker(FRONT_END, { workerData: data, transferList: [channel.port2] });
    this.#servePool(channel.port1);
    this.#threads.add(worker);
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: FrontEndMessage) => {
        if (message.type === 'listening') {
          listening = true;
          resolve();
        } else reject(new Error(`front-end thread ${index} could not listen on ${settings.host}:${this.#port} (is the port in use?)`));
      });
      worker.on('error', (err) => {
        log.error(`front-end thread ${index} failed: ${err.stack ?? err.message}`);
        if (!listening) reject(err);
      });
      worker.on('exit', (code) => {
        this.#threads.delete(worker);
        channel.port1.close();
        if (this.#stopping || !listening) return;
        log.error(`front-end thread ${index} exited (code ${code}); starting a new one`);
        this.#startFrontEnd(index).catch((err: Error) => log.error(`front-end thread ${index} restart failed: ${err.message}`));
      });
    });
  }

  /** Front-end threads send heavy tasks here; the piscina pool runs them. */
  #servePool(port: MessageChannel['port1']): void {
    port.on('message', ({ id, task }: PoolRequest) => {
      this.#pool!.run(task).then(
        (answer) => port.postMessage({ id, answer } satisfies PoolReply),
        (err: Error) =>
          port.postMessage({ id, answer: { kind: 'error', error: errors.internal(`pool worker failed: ${err.message}`) } } satisfies PoolReply),
      );
    });
    port.unref();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const exits = [...this.#threads].map(
      (worker) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            // A thread that will not finish closing gets terminated as a last resort.
            void worker.terminate().then(() => resolve());
          }, SHUTDOWN_GRACE_MS);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          worker.postMessage('shutdown');
        }),
    );
    await Promise.all(exits);
    await this.#pool?.destroy();
  }
}
