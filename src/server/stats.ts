/**
 * The simulator's own measurements, per thread, in HDR histograms: how late the scheduler runs
 * simulated-latency tasks (a stream's token events, delayed answers). `GET /++/stats` merges every
 * thread's histogram (main asks each for a snapshot) and answers percentiles.
 */
import hdr from 'hdr-histogram-js';

const HISTOGRAM = { lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 } as const;

export const newHistogram = (): hdr.Histogram => hdr.build(HISTOGRAM);

export class ThreadStats {
  /** Scheduler lateness, in microseconds: when a task ran minus when it was due. */
  #lateness = newHistogram();

  recordLateness(ms: number): void {
    this.#lateness.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  /** The histogram, encoded to cross threads; `reset` starts a new measurement. */
  snapshot(reset: boolean): string {
    const encoded = hdr.encodeIntoCompressedBase64(this.#lateness);
    if (reset) this.#lateness.reset();
    return encoded;
  }
}

/** Merges the threads' snapshots into the `/++/stats` answer (milliseconds). */
export function statsJson(snapshots: readonly string[]): string {
  const merged = newHistogram();
  for (const s of snapshots) merged.add(hdr.decodeFromCompressedBase64(s));
  const ms = (p: number): number => merged.getValueAtPercentile(p) / 1000;
  return JSON.stringify({
    scheduler_lateness_ms: {
      count: merged.totalCount,
      p50: ms(50),
      p99: ms(99),
      p999: ms(99.9),
      max: merged.maxValue / 1000,
    },
  });
}
