/** Reading the simulator's own measurements (`GET /++/stats`, behind the API key). */

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface SimulatorStats {
  /** Arrival to answer ready, simulated latency excluded (ms). */
  readonly overhead_ms: Percentiles;
  /** Scheduled writes: when they ran minus when they were due (ms). */
  readonly scheduler_lateness_ms: Percentiles;
}

/** `reset` starts a new measurement: call it with true before a run, and read after it. */
export async function readStats(port: number, apiKey: string, reset: boolean): Promise<SimulatorStats> {
  const res = await fetch(`http://127.0.0.1:${port}/++/stats${reset ? '?reset=true' : ''}`, { headers: { 'api-key': apiKey } });
  if (!res.ok) throw new Error(`GET /++/stats answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as SimulatorStats;
}
