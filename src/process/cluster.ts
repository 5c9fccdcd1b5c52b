/**
 * The process layout: the main thread owns what is global (settings, the API key, the piscina
 * pool, signals) and starts N front-end threads, each a uWebSockets.js app on the same port.
 * A front-end thread that dies is replaced; the others keep serving meanwhile.
 */
import { createServer } from 'node:net';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { StartupError } from '../core/errors.js';
import type { Settings } from '../core/config/settings.js';
import type { ReplayEntry } from '../core/recording/recording-file.js';
import { dispatch, type FrontEndData, type FrontEndMessage, type Handlers, type MainMessage, type PreparedExtension, type StartupMessage, type ThreadMessage } from '../protocol/messages.js';
import type { PoolWorkerData } from '../protocol/pool.js';
import type { Log } from '../log.js';
import type { RankTables } from '../core/tokens/tokenizer.js';
import type { LoremTables } from '../core/generation/lorem.js';
import { serveSharedWindows } from '../protocol/shared-windows.js';
import type { PoolFigures } from './metrics.js';
import { servePool } from './pool-host.js';

const FRONT_END = new URL('../front-end/thread.js', import.meta.url);
const POOL_WORKER = new URL('../workers/generate.js', import.meta.url);
const SHUTDOWN_GRACE_MS = 5_000;
/**
 * A front-end thread's young generation, capped (V8 grows it to 16 MB on a 64-bit machine and it
 * stays resident, nearly empty, at idle). A request's garbage is short-lived and small, so a
 * smaller nursery costs scavenges, not promotions: docs/architecture.md "Memory" has the figures.
 */
const FRONT_END_YOUNG_GENERATION_MB = 4;
const RESTART_DELAY_MS = 1_000;

export interface ClusterOptions {
  readonly settings: Settings;
  readonly apiKey: string;
  /** Record and replay modes: the recordings found at start. */
  readonly replayEntries: readonly ReplayEntry[];
  /** The runtime configuration now (PATCH /++/config changes it): what a (re)started thread gets. */
  readonly runtime: () => FrontEndData['runtime'];
  /** Rate-limit window memory per deployment now (SharedArrayBuffers: one budget for all threads). */
  readonly limits: () => FrontEndData['limits'];
  /**
   * Messages from front-ends beyond start-up (record mode's new interactions, save requests), with
   * the sending thread (its `threadId`) and the way back. A handler that throws is logged; main stays up.
   */
  readonly onMessage?: (message: ThreadMessage, thread: number, reply: (message: MainMessage) => void) => void;
  /** A front-end thread (`threadId`) has exited, whatever the reason, before its replacement starts. */
  readonly onThreadExit?: (thread: number) => void;
  readonly log: Log;
  /** The rank tables in shared memory (TIKTOKEN_CACHE_DIR's or the bundled ones), for every thread. */
  readonly rankTables?: RankTables | undefined;
  /** The lorem corpora in shared memory, built from those tables, for every thread. */
  readonly lorem?: LoremTables | undefined;
  /** EXTENSION_PATH's module, prepared by main; each thread loads it. */
  readonly extension?: PreparedExtension | undefined;
  /** Several replicas on Redis: what each thread needs to charge the shared windows. */
  readonly shared?: FrontEndData['shared'];
}

/**
 * Binds `port` (0: any) exclusively for a moment. uWS threads listen with SO_REUSEPORT, which
 * would let a second simulator silently share a busy port; this bind fails instead. It also
 * resolves port 0 up front: the threads can only share a port chosen before they start.
 */
async function claimPort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new StartupError(`cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use (set PORT to another one)' : err.message}`)),
    );
    server.listen({ port, host, exclusive: true }, () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

export class Cluster {
  readonly #options: ClusterOptions;
  /** Running (or starting) front-end threads, with their `threadId`. */
  readonly #threads = new Map<Worker, number>();
  #pool: Piscina | undefined;
  /** Tasks refused because the pool's queue was full (pool-host.ts). */
  #poolRefused = 0;
  #port = 0;
  #stopping = false;
  /** Extensions' shared rate-limit windows by name, one per process (see shared-windows.ts). */
  readonly #sharedWindows = new Map<string, SharedArrayBuffer>();
  /** `threadId` → "front-end thread <index>", while the thread runs. */
  readonly #names = new Map<number, string>();
  /** Front-end index → its worker, while it runs (or starts): where a restarted thread's store channels go. */
  readonly #byIndex = new Map<number, Worker>();

  constructor(options: ClusterOptions) {
    this.#options = options;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const { settings } = this.#options;
    this.#port = await claimPort(settings.host, settings.port);
    // One pool thread is kept warm; more start under load and end after a minute idle, so a
    // many-core machine does not hold a tokenizer per core for requests that never come.
    this.#pool = new Piscina({
      filename: POOL_WORKER.href,
      minThreads: 1,
      maxThreads: settings.poolThreads,
      idleTimeout: 60_000,
      workerData: { rankTables: this.#options.rankTables, lorem: this.#options.lorem } satisfies PoolWorkerData,
    });
    const started: Promise<void>[] = [];
    const mesh = this.#storeMesh(settings.frontEndThreads);
    for (let i = 0; i < settings.frontEndThreads; i++) started.push(this.#startFrontEnd(i, mesh[i]!));
    const results = await Promise.allSettled(started);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
  }

  /**
   * The embedded response store's channels (front-end/responses-store.ts): one between every two
   * front-end threads, `mesh[i][j]` being thread i's end towards thread j. None with the store in
   * Redis, nor for one thread.
   */
  #storeMesh(threads: number): (MessagePort | undefined)[][] {
    const mesh = Array.from({ length: threads }, (): (MessagePort | undefined)[] => Array.from({ length: threads }, () => undefined));
    if (this.#options.shared) return mesh;
    for (let i = 0; i < threads; i++) {
      for (let j = i + 1; j < threads; j++) {
        const { port1, port2 } = new MessageChannel();
        mesh[i]![j] = port1;
        mesh[j]![i] = port2;
      }
    }
    return mesh;
  }

  /** A restarted thread's channels: a new one with each thread running now, whose end is sent to it. */
  #storeChannelsFor(index: number): (MessagePort | undefined)[] {
    const ports: (MessagePort | undefined)[] = Array.from({ length: this.#options.settings.frontEndThreads }, () => undefined);
    if (this.#options.shared) return ports;
    for (const [peer, worker] of this.#byIndex) {
      const { port1, port2 } = new MessageChannel();
      ports[peer] = port1;
      worker.postMessage({ type: 'store-peer', index, port: port2 } satisfies MainMessage, [port2]);
    }
    return ports;
  }

  #startFrontEnd(index: number, storePeers: readonly (MessagePort | undefined)[]): Promise<void> {
    const { settings, apiKey, replayEntries, onMessage, onThreadExit, log, rankTables, lorem, extension } = this.#options;
    const channel = new MessageChannel();
    const windows = extension ? new MessageChannel() : undefined;
    const data: FrontEndData = {
      index,
      settings,
      apiKey,
      port: this.#port,
      replayEntries,
      limits: this.#options.limits(),
      runtime: this.#options.runtime(),
      poolPort: channel.port2,
      rankTables,
      lorem,
      extension,
      windowPort: windows?.port2,
      storePeers,
      shared: this.#options.shared,
    };
    const peerPorts = storePeers.filter((port): port is MessagePort => port !== undefined);
    const worker = new Worker(FRONT_END, {
      workerData: data,
      transferList: windows ? [channel.port2, windows.port2, ...peerPorts] : [channel.port2, ...peerPorts],
      resourceLimits: { maxYoungGenerationSizeMb: FRONT_END_YOUNG_GENERATION_MB },
    });
    servePool(channel.port1, () => this.#pool!, { maxQueue: settings.poolMaxQueue, refused: () => this.#poolRefused++ }, log);
    if (windows) serveSharedWindows(windows.port1, this.#sharedWindows);
    // Read now: a Worker's threadId reads -1 once the thread has stopped.
    const thread = worker.threadId;
    this.#names.set(thread, `front-end thread ${index}`);
    this.#threads.set(worker, thread);
    this.#byIndex.set(index, worker);
    const reply = (message: MainMessage): void => worker.postMessage(message);
    // Control enters main here, from another thread: a handler that throws is logged and contained.
    const guarded = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        log.error(`front-end thread ${index}: ${what} failed: ${(err as Error)?.stack ?? String(err)}`);
      }
    };
    return new Promise((resolve, reject) => {
      let listening = false;
      const startup = {
        listening: () => {
          listening = true;
          resolve();
        },
        'extension-failed': (message) => reject(new StartupError(message.message)),
        'listen-failed': () => reject(new StartupError(`front-end thread ${index} could not listen on ${settings.host}:${this.#port}`)),
      } satisfies Handlers<StartupMessage>;
      worker.on('message', (message: FrontEndMessage) =>
        guarded(`handling its "${message.type}" message`, () => {
          if (message.type in startup) dispatch(startup, message as StartupMessage, undefined);
          else onMessage?.(message as ThreadMessage, thread, reply);
        }),
      );
      worker.on('error', (err) => {
        log.error(`front-end thread ${index} failed: ${err.stack ?? err.message}`);
        if (!listening) reject(err);
      });
      worker.on('exit', (code) =>
        guarded('exit handling', () => {
          this.#threads.delete(worker);
          if (this.#byIndex.get(index) === worker) this.#byIndex.delete(index);
          channel.port1.close();
          windows?.port1.close();
          onThreadExit?.(thread);
          this.#names.delete(thread);
          if (this.#stopping || !listening) return;
          // Restart after a pause, so a thread that dies at once does not spin the CPU.
          log.error(`front-end thread ${index} exited (code ${code}); starting a new one in ${RESTART_DELAY_MS} ms`);
          setTimeout(() => {
            if (this.#stopping) return;
            this.#startFrontEnd(index, this.#storeChannelsFor(index)).catch((err: Error) => log.error(`front-end thread ${index} restart failed: ${err.message}`));
          }, RESTART_DELAY_MS).unref();
        }),
      );
    });
  }

  /** Front-end threads running now (or starting), by `threadId`. */
  threadIds(): number[] {
    return [...this.#threads.values()];
  }

  /** The worker pool's own figures, for `/metrics` (undefined before start). */
  poolFigures(): PoolFigures | undefined {
    const pool = this.#pool;
    return pool ? { queueSize: pool.queueSize, threads: pool.threads.length, completed: pool.completed, refused: this.#poolRefused } : undefined;
  }

  /** A thread's name for the log and for errors ("front-end thread 2"). */
  describe(thread: number): string {
    return this.#names.get(thread) ?? `front-end thread #${thread}`;
  }

  /** Sends a message to every front-end thread. */
  broadcast(message: MainMessage): void {
    for (const worker of this.#threads.keys()) worker.postMessage(message);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const exits = [...this.#threads.keys()].map(
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
          worker.postMessage({ type: 'shutdown' } satisfies MainMessage);
        }),
    );
    await Promise.all(exits);
    await this.#pool?.destroy();
  }
}
