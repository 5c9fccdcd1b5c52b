/**
 * The simulator's own measurements, per thread, in HDR histograms:
 * - **overhead**: the simulator's own time per answered request, from its arrival to its answer
 *   being ready to write, simulated latency excluded (what `make bench` reports next to the
 *   client's view);
 * - **scheduler lateness**: how late the scheduler runs simulated-latency tasks (a stream's token
 *   events, delayed answers).
 * `GET /++/stats` merges every thread's histograms (main asks each for a snapshot) and answers
 * percentiles in milliseconds.
 *
 * Only the histogram classes are imported, not the package's index: the index also loads its
 * WebAssembly build and pako (for the compressed encoding): ~1 MB of resident memory per
 * front-end thread (docs/architecture.md, "Memory"). A snapshot crosses threads as its recorded
 * buckets instead, which is exact and needs no encoder.
 */
import { constructorFromBucketSize, type JsHistogramConstructor } from 'hdr-histogram-js/dist/JsHistogramFactory.js';

type Histogram = InstanceType<JsHistogramConstructor>;
/** 32-bit counts, as the index's `build()` gives by default (a named export: Node and vitest agree on it). */
const Int32Histogram = constructorFromBucketSize(32);
const newHistogram = (): Histogram => new Int32Histogram(1, 3_600_000_000, 3);

/**
 * A histogram's recorded buckets, `[value, count, value, count, …]` (each value the highest its
 * bucket holds, so recording it again lands in the same bucket): what `statsJson` merges.
 */
export type Buckets = readonly number[];

function bucketsOf(histogram: Histogram): Buckets {
  const buckets: number[] = [];
  const values = histogram.recordedValuesIterator;
  values.reset();
  while (values.hasNext()) {
    const v = values.next();
    buckets.push(v.valueIteratedTo, v.countAtValueIteratedTo);
  }
  return buckets;
}

/** The measurements, by their name in the `/++/stats` answer. */
const MEASURES = ['overhead_ms', 'scheduler_lateness_ms'] as const;
type Measure = (typeof MEASURES)[number];

/** A thread's histograms, as buckets to cross threads, and its counts of injected faults. */
export type StatsSnapshot = Readonly<Record<Measure, Buckets>> & { readonly faults?: Readonly<Record<string, number>> };

/**
 * Injected faults are counted by `deployment \t fault \t source` (the labels of
 * `aoai_sim_faults_injected_total{deployment,fault,source}`), per thread; `/++/stats` sums them.
 */
const faultKey = (deployment: string, fault: string, source: string): string => `${deployment}\t${fault}\t${source}`;

/** Values are kept in microseconds: a histogram holds integers. */
const micros = (ms: number): number => Math.max(0, Math.round(ms * 1000));

export class ThreadStats {
  readonly #histograms: Record<Measure, Histogram> = { overhead_ms: newHistogram(), scheduler_lateness_ms: newHistogram() };

  /** The simulator's own time for a request (ms), simulated latency excluded. */
  recordOverhead(ms: number): void {
    this.#histograms.overhead_ms.recordValue(micros(ms));
  }

  /** When a scheduled task ran minus when it was due, in whole microseconds (the scheduler's unit for it). */
  recordLateness(micros: number): void {
    this.#histograms.scheduler_lateness_ms.recordValue(micros);
  }

  readonly #faults = new Map<string, number>();

  /** One injected fault. */
  recordFault(deployment: string, fault: string, source: string): void {
    const key = faultKey(deployment, fault, source);
    this.#faults.set(key, (this.#faults.get(key) ?? 0) + 1);
  }

  /** The fault counts so far (what a metrics exporter reads). */
  faults(): ReadonlyMap<string, number> {
    return this.#faults;
  }

  /** `reset` starts a new measurement. */
  snapshot(reset: boolean): StatsSnapshot {
    const encoded = {} as Record<Measure, Buckets>;
    for (const name of MEASURES) {
      encoded[name] = bucketsOf(this.#histograms[name]);
      if (reset) this.#histograms[name].reset();
    }
    const faults = Object.fromEntries(this.#faults);
    if (reset) this.#faults.clear();
    return { ...encoded, faults };
  }
}

/** Merges the threads' snapshots into the `/++/stats` answer (milliseconds). */
export function statsJson(snapshots: readonly StatsSnapshot[]): string {
  const answer: Record<string, unknown> = {};
  for (const name of MEASURES) {
    const merged = newHistogram();
    for (const s of snapshots) {
      const buckets = s[name];
      for (let i = 0; i < buckets.length; i += 2) merged.recordValueWithCount(buckets[i]!, buckets[i + 1]!);
    }
    const ms = (p: number): number => merged.getValueAtPercentile(p) / 1000;
    answer[name] = { count: merged.totalCount, p50: ms(50), p99: ms(99), p999: ms(99.9), max: merged.maxValue / 1000 };
  }
  const faults = new Map<string, number>();
  for (const s of snapshots) for (const [key, n] of Object.entries(s.faults ?? {})) faults.set(key, (faults.get(key) ?? 0) + n);
  answer.faults_injected = [...faults].map(([key, count]) => {
    const [deployment, fault, source] = key.split('\t');
    return { deployment, fault, source, count };
  });
  return JSON.stringify(answer);
}
