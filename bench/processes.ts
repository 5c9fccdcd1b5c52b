/** Starting the servers a benchmark compares, as separate processes, and stopping them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const SIMULATOR_MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
export const BARE_SERVER = fileURLToPath(new URL('./bare-server.js', import.meta.url));
export const BARE_PACED_SERVER = fileURLToPath(new URL('./bare-paced-server.js', import.meta.url));

/** `--pin-server CPUS`: every server this module starts runs under `taskset -c CPUS` (util-linux). */
let serverCpus: string | undefined;
export function pinServers(cpus: string | undefined): void {
  serverCpus = cpus;
}
/** The command line of a Node process, pinned when asked. */
function nodeCommand(args: readonly string[]): [string, string[]] {
  return serverCpus ? ['taskset', ['-c', serverCpus, process.execPath, ...args]] : [process.execPath, [...args]];
}

export interface Server {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startProcess(args: string[], env: Record<string, string>, ready: RegExp, port: number): Promise<Server> {
  const [command, argv] = nodeCommand(args);
  const child: ChildProcess = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${out}`)));
  });
  return {
    port,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Benchmarks measure the simulator's own cost: no simulated latency unless a scenario sets it. */
export const NO_LATENCY: Readonly<Record<string, string>> = Object.fromEntries(
  ['EMBEDDINGS', 'COMPLETIONS', 'CHAT_COMPLETIONS', 'TRANSLATIONS', 'IMAGES'].flatMap((op) => [
    [`LATENCY_OPENAI_${op}_MEAN`, '0'],
    [`LATENCY_OPENAI_${op}_STD_DEV`, '0'],
  ]),
);

/** `main`: another build's `dist/src/main.js` (before/after comparisons); this one by default. */
export async function startSimulator(env: Record<string, string>, main = SIMULATOR_MAIN): Promise<Server> {
  const port = await freePort();
  return startProcess([main], { LOG_LEVEL: 'warn', ...NO_LATENCY, ...env, PORT: String(port) }, /listening on/, port);
}

export async function startBareServer(threads: number, responseFile: string): Promise<Server> {
  const port = await freePort();
  return startProcess([BARE_SERVER, String(port), String(threads), responseFile], {}, /listening on/, port);
}

/** A simulator build as a child process (its pid is for /proc readings), once it listens. */
export async function spawnListening(main: string, env: Record<string, string>): Promise<ChildProcess> {
  const [command, argv] = nodeCommand([main]);
  const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/listening on/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return child;
}

/** The paced streams' baseline (bare-paced-server.ts): the captured stream, written on its schedule. */
export async function startBarePacedServer(threads: number, responseFile: string, perTokenMs: number, tokens: number, headEvents: number): Promise<Server> {
  const port = await freePort();
  return startProcess([BARE_PACED_SERVER, String(port), String(threads), responseFile, String(perTokenMs), String(tokens), String(headEvents)], {}, /listening on/, port);
}
