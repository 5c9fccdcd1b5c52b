/**
 * Timing for micro-benchmarks: a function run in batches until a batch takes long enough to
 * time well, several rounds, the median time per call. Every comparison in bench/micro runs its
 * candidates interleaved in the same process, so a ratio is against a baseline measured in the
 * same run (the machine's noise hits both).
 */

export interface Timing {
  readonly name: string;
  /** Median nanoseconds per call over the rounds. */
  readonly nsPerOp: number;
}

const now = (): number => Number(process.hrtime.bigint());

/** A sink the optimiser cannot see through: results are written here, never dropped. */
export let sink: unknown;

function batchNs(fn: () => unknown, n: number): number {
  const t0 = now();
  for (let i = 0; i < n; i++) sink = fn();
  return now() - t0;
}

/** Calls per batch so that one batch takes about `targetMs`. */
function calibrate(fn: () => unknown, targetMs: number): number {
  let n = 1;
  while (batchNs(fn, n) < targetMs * 1e6 && n < 1e9) n *= 2;
  return n;
}

/**
 * Times each candidate `rounds` times, interleaved (a, b, a, b…), after a warm-up; answers the
 * median ns per call of each.
 */
export function compare(candidates: ReadonlyArray<readonly [name: string, fn: () => unknown]>, rounds = 7, targetMs = 50): Timing[] {
  const sizes = candidates.map(([, fn]) => {
    batchNs(fn, 1_000); // warm-up: let the JIT settle before calibrating
    return calibrate(fn, targetMs);
  });
  const samples = candidates.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    candidates.forEach(([, fn], i) => samples[i]!.push(batchNs(fn, sizes[i]!) / sizes[i]!));
  }
  return candidates.map(([name], i) => {
    const sorted = samples[i]!.sort((a, b) => a - b);
    return { name, nsPerOp: sorted[Math.floor(sorted.length / 2)]! };
  });
}

export const formatNs = (ns: number): string => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);

/** Prints timings with each one's ratio to the first (the baseline). */
export function report(title: string, timings: readonly Timing[]): void {
  const base = timings[0]!.nsPerOp;
  process.stdout.write(`\n${title}\n`);
  for (const t of timings) process.stdout.write(`  ${t.name.padEnd(44)} ${formatNs(t.nsPerOp).padStart(10)}   ×${(t.nsPerOp / base).toFixed(2)}\n`);
}
