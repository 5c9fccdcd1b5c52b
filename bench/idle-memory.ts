/**
 * Idle memory: the simulator's resident set (every thread of the process, from /proc) just after
 * start, at 1, 2 and 4 front-end threads (plus the one warm pool thread), and what each added
 * front-end thread costs. This is what sizes a replica, so `make bench` reports it too.
 *
 *   node dist/bench/idle-memory.js [--threads 1,2,4] [--main other/dist/src/main.js] [--settle-ms 4000]
 *
 * `--main` measures another build (e.g. a checkout of main) in the same run, for before/after.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SIMULATOR_MAIN, startSimulator } from './processes.js';

export interface IdleMemory {
  readonly rows: readonly { readonly threads: number; readonly rssMb: number }[];
  /** (RSS at the most threads − RSS at the fewest) ÷ the threads added. */
  readonly perThreadMb: number;
}

/** The simulator's settings that matter here; everything else stays default. */
const SETTINGS = { SIMULATOR_API_KEY: 'bench-key' };
/** Start-up finishes asynchronously in the pool thread (warm-up): let it settle, then sample. */
const SETTLE_MS = 4_000;
const SAMPLES = 3;
const SAMPLE_GAP_MS = 500;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return kb / 1024;
}

export async function measureIdleMemory(threads: readonly number[] = [1, 2, 4], main = SIMULATOR_MAIN, settleMs = SETTLE_MS): Promise<IdleMemory> {
  const rows: { threads: number; rssMb: number }[] = [];
  for (const n of threads) {
    const sim = await startSimulator({ ...SETTINGS, SIMULATOR_THREADS: String(n) }, main);
    try {
      await sleep(settleMs);
      const samples: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        if (i > 0) await sleep(SAMPLE_GAP_MS);
        samples.push(rssMb(sim.pid));
      }
      rows.push({ threads: n, rssMb: samples.sort((a, b) => a - b)[Math.floor(SAMPLES / 2)]! });
    } finally {
      await sim.stop();
    }
  }
  const first = rows[0]!;
  const last = rows.at(-1)!;
  const perThreadMb = last.threads > first.threads ? (last.rssMb - first.rssMb) / (last.threads - first.threads) : 0;
  return { rows, perThreadMb };
}

export const IDLE_MEMORY_HEADER = '| front-end threads (+ 1 pool thread) | idle RSS MB |\n|---:|---:|';

export function idleMemoryRows(m: IdleMemory): string[] {
  return [...m.rows.map((r) => `| ${r.threads} | ${r.rssMb.toFixed(0)} |`), `| per added front-end thread | ${m.perThreadMb.toFixed(1)} |`];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { threads: { type: 'string', default: '1,2,4' }, main: { type: 'string' }, 'settle-ms': { type: 'string', default: String(SETTLE_MS) } } });
  const m = await measureIdleMemory(values.threads.split(',').map(Number), values.main ?? SIMULATOR_MAIN, Number(values['settle-ms']));
  console.log([`Idle memory of ${values.main ?? SIMULATOR_MAIN}`, '', IDLE_MEMORY_HEADER, ...idleMemoryRows(m)].join('\n'));
}
