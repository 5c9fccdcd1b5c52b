/**
 * The bench's results: their shape (what `bench/results/latest.json` holds), the progress lines
 * and table rows printed while it runs, and the Markdown summary written next to the JSON.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { IDLE_MEMORY_HEADER, idleMemoryRows, type IdleMemory } from './idle-memory.js';
import type { LoadTool } from './load.js';
import type { Percentiles } from './simulator-stats.js';

export interface ClientView {
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
}

/** One scenario: the bare server and the simulator under the same load. */
export interface Comparison {
  readonly id: string;
  readonly title: string;
  /** The setting a scaling row changes, and its value. */
  readonly varied?: { readonly setting: string; readonly value: number | string };
  readonly tool: LoadTool;
  readonly bare: ClientView;
  readonly simulator: ClientView;
  readonly ratio: number;
  readonly target: number | null;
  /** The simulator's own time per request, during the runs at full speed. */
  readonly overheadAtMax: Percentiles;
  /** The same at a fixed rate of half the simulator's maximum (autocannon). */
  readonly overheadAtHalf: Percentiles & { readonly rateAsked: number; readonly rateAchieved: number };
  /** Answers with another status than expected, and socket errors, in the simulator's runs. */
  readonly unexpected: number;
  readonly sample: { readonly status: number; readonly bytes: number; readonly promptTokens: number | null };
}

export interface StreamStep {
  /** The bare paced server (bench/bare-paced-server.ts, the ceiling) or the simulator. */
  readonly server: 'bare' | 'simulator';
  readonly streams: number;
  /** A count run after the ramp, for the record (not a pass or fail). */
  readonly overload: boolean;
  readonly streamsPerSecond: number;
  readonly tokenEvents: number;
  readonly clientLatenessMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly schedulerLatenessMs: Percentiles;
  readonly overheadMs: Percentiles;
  /** CPU per token event (µs): the server process, every thread; the load generator. */
  readonly cpuMicrosPerEvent: { readonly server: number; readonly client: number };
  readonly failed: number;
}

export interface BenchResults {
  readonly generatedAt: string;
  readonly command: string;
  readonly machine: { readonly cpus: number; readonly model: string; readonly node: string; readonly loadAverageAtStart: readonly number[] };
  readonly options: { readonly seconds: number; readonly warmUpSeconds: number; readonly connections: number; readonly rounds: number };
  readonly scenarios: readonly Comparison[];
  /** `--pin-client` / `--pin-server`: the CPU lists the load generator and the servers ran on. */
  readonly pinning?: { readonly client: string; readonly server: string };
  readonly scaling: readonly { readonly id: string; readonly title: string; readonly rows: readonly Comparison[] }[];
  readonly streams: {
    readonly perTokenMs: number;
    readonly tokens: number;
    readonly limitMs: number;
    readonly steps: readonly StreamStep[];
    /** The most concurrent streams whose scheduler p99 lateness stayed within the limit (0: none). */
    readonly held: number;
    /** The same for the bare paced server on the same machine: the ceiling. */
    readonly heldByBare?: number;
    /** The simulator's front-end threads in the ramp (one per core): for streams per thread. */
    readonly frontEndThreads?: number;
  } | null;
  /** Idle RSS by front-end threads (bench/idle-memory.ts); null when not run. */
  readonly idleMemory: IdleMemory | null;
  readonly overheadTargetMs: number;
}

/** Paced streams held at the lateness limit (issue 18). */
const STREAM_TARGET = 2_000;

/** Idle RSS targets (issue 18): at 2 front-end threads, and per added thread. */
export const IDLE_RSS_TARGET_MB = 200;
export const PER_THREAD_RSS_TARGET_MB = 20;

export function machine(): BenchResults['machine'] {
  return { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100) };
}

export const progress = (line: string): boolean => process.stderr.write(`  ${line}\n`);

const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const ms = (x: number): string => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : '–');
const pct = (p: Percentiles): string => `${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.p999)}`;

const check = (ok: boolean): string => (ok ? '✓' : '✗');

function ratioCell(c: Comparison): string {
  const ratio = c.ratio.toFixed(2);
  return c.target === null ? ratio : `${ratio} (≥ ${c.target} ${check(c.ratio >= c.target)})`;
}

export const SCENARIO_HEADER =
  '| scenario | bare req/s | simulator req/s | ratio (target) | client p50 / p99 ms | overhead p50 / p99 / p99.9 ms at 50 % load | overhead p99 ms at max | unexpected |\n' +
  '|---|---:|---:|---|---:|---:|---:|---:|';

export function scenarioRow(c: Comparison, overheadTargetMs: number): string {
  const name = c.varied ? `${c.id}, ${c.varied.setting}=${c.varied.value}` : c.id;
  const half = c.overheadAtHalf;
  return (
    `| ${name} | ${int(c.bare.requestsPerSecond)} | ${int(c.simulator.requestsPerSecond)} | ${ratioCell(c)} | ` +
    `${ms(c.simulator.latencyP50Ms)} / ${ms(c.simulator.latencyP99Ms)} | ${pct(half)} ${check(half.p99 < overheadTargetMs)} at ${int(half.rateAchieved)}/s | ${ms(c.overheadAtMax.p99)} | ${c.unexpected} |`
  );
}

export const STREAM_HEADER =
  '| server | concurrent streams | streams/s | token events | client lateness p50 / p99 / max ms | scheduler lateness p50 / p99 / p99.9 ms | overhead p50 / p99 / p99.9 ms | CPU µs per event: server / client | failed |\n' +
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|';

export function streamRow(s: StreamStep, limitMs: number): string {
  const c = s.clientLatenessMs;
  const cpu = s.cpuMicrosPerEvent;
  return (
    `| ${s.server}${s.overload ? ' (overload)' : ''} | ${int(s.streams)} | ${int(s.streamsPerSecond)} | ${int(s.tokenEvents)} | ${ms(c.p50)} / ${ms(c.p99)} / ${ms(c.max)} | ` +
    `${pct(s.schedulerLatenessMs)} ${s.overload ? '' : check(s.schedulerLatenessMs.p99 <= limitMs)} | ${s.server === 'bare' ? '—' : pct(s.overheadMs)} | ` +
    `${cpu.server.toFixed(1)} / ${cpu.client.toFixed(1)} | ${s.failed} |`
  );
}

/** Every target the issue sets, with how far each result is from it (1 = just met; below 1 = missed). */
export function targets(r: BenchResults): { what: string; score: number; detail: string }[] {
  const all: { what: string; score: number; detail: string }[] = [];
  for (const c of r.scenarios) {
    if (c.target !== null) all.push({ what: `${c.id} ratio`, score: c.ratio / c.target, detail: `${c.ratio.toFixed(2)} × bare, target ≥ ${c.target}` });
    all.push({ what: `${c.id} overhead p99 at 50 % load`, score: r.overheadTargetMs / c.overheadAtHalf.p99, detail: `${ms(c.overheadAtHalf.p99)} ms, target < ${r.overheadTargetMs} ms` });
  }
  if (r.streams) all.push({ what: 'concurrent paced streams, scheduler p99 ≤ ' + r.streams.limitMs + ' ms', score: r.streams.held / STREAM_TARGET, detail: `${int(r.streams.held)} (bare paced server: ${r.streams.heldByBare === undefined ? 'not run' : int(r.streams.heldByBare)}), target ≥ ${int(STREAM_TARGET)}` });
  const atTwo = r.idleMemory?.rows.find((row) => row.threads === 2);
  if (atTwo) all.push({ what: 'idle RSS, 2 front-end threads + pool', score: IDLE_RSS_TARGET_MB / atTwo.rssMb, detail: `${atTwo.rssMb.toFixed(0)} MB, target ≤ ${IDLE_RSS_TARGET_MB} MB` });
  if (r.idleMemory && r.idleMemory.rows.length > 1) {
    const per = r.idleMemory.perThreadMb;
    all.push({ what: 'idle RSS per added front-end thread', score: PER_THREAD_RSS_TARGET_MB / Math.max(per, 0.1), detail: `${per.toFixed(1)} MB, target ≤ ${PER_THREAD_RSS_TARGET_MB} MB` });
  }
  return all.sort((a, b) => a.score - b.score);
}

export function markdown(r: BenchResults): string {
  const lines = [
    '# `make bench` results',
    '',
    `Generated ${r.generatedAt} by \`${r.command}\` on ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node} ` +
      `(load average at start ${r.machine.loadAverageAtStart.join(', ')}). The load generator (${r.scenarios[0]?.tool ?? 'n/a'}) ` +
      (r.pinning ? `runs on CPUs ${r.pinning.client}, the servers on CPUs ${r.pinning.server} (taskset); ` : 'runs on the same cores as the servers; ') +
      `${r.options.connections} connections, ${r.options.seconds} s per run after ${r.options.warmUpSeconds} s of warm-up, ${r.options.rounds} round(s), median taken.`,
    '',
    'Each scenario runs the simulator and a bare uWebSockets.js server answering the same bytes (status, headers, body, framing, captured from the simulator) ' +
      'under the same load. **ratio** = simulator req/s ÷ bare req/s. **overhead** = the simulator\'s own time per request (arrival to answer ready, simulated latency ' +
      'excluded) from `GET /++/stats`, measured again at a fixed rate of half the simulator\'s maximum (autocannon). **unexpected** = answers with another status than ' +
      'the scenario expects, plus socket errors.',
    '',
    '## Scenarios',
    '',
    SCENARIO_HEADER,
    ...r.scenarios.map((c) => scenarioRow(c, r.overheadTargetMs)),
  ];
  if (r.streams) {
    const s = r.streams;
    lines.push(
      '',
      `## Concurrent slow streams (latency model on: ${s.tokens} tokens at ${s.perTokenMs} ms each)`,
      '',
      `The simulator held **${int(s.held)}** concurrent streams before the scheduler's p99 lateness passed ${s.limitMs} ms` +
        (s.frontEndThreads ? ` (${s.frontEndThreads} front-end threads: **${int(s.held / s.frontEndThreads)} per thread**)` : '') +
        (s.heldByBare !== undefined ? `; the bare paced server held **${int(s.heldByBare)}** on the same machine (ratio ${s.heldByBare > 0 ? (s.held / s.heldByBare).toFixed(2) : 'n/a'})` : '') +
        '. The bare paced server (bench/bare-paced-server.ts) writes the same captured stream on the same schedule with nothing else: ' +
        'one queue and one timer per thread, a cork and a write per due stream — the ceiling for this machine and client. ' +
        'The load generator is bench/paced-client.c (epoll, one read per ready socket) on the same cores; client lateness includes its own lag and bounds the error from above. ' +
        'CPU µs per event is each process\'s CPU time (user + system, every thread) over the token events of the run: what decides how many streams the cores can hold. ' +
        'Rows marked overload run after the ramp, for the record.',
      '',
      STREAM_HEADER,
      ...s.steps.map((step) => streamRow(step, s.limitMs)),
    );
  }
  for (const group of r.scaling) {
    lines.push('', `## Scaling: ${group.title}`, '', SCENARIO_HEADER, ...group.rows.map((c) => scenarioRow(c, r.overheadTargetMs)));
    const perThread = group.rows.filter((c) => c.varied?.setting === 'SIMULATOR_THREADS');
    if (perThread.length > 0) {
      const figures = perThread.map((c) => `${int(c.simulator.requestsPerSecond / Number(c.varied!.value))} req/s per thread at ${c.varied!.value}`);
      lines.push('', `Per front-end thread (simulator req/s ÷ threads): ${figures.join(', ')}.`);
    }
  }
  if (r.idleMemory) {
    lines.push(
      '',
      '## Idle memory',
      '',
      'Resident set of the whole process (every thread, `/proc/<pid>/status` VmRSS) a few seconds after start, no request served; one pool thread is kept warm.',
      '',
      IDLE_MEMORY_HEADER,
      ...idleMemoryRows(r.idleMemory),
    );
  }
  const ranked = targets(r);
  if (ranked.length > 0) {
    lines.push('', '## Targets', '', '| target | result | met |', '|---|---|---|');
    for (const t of ranked) lines.push(`| ${t.what} | ${t.detail} | ${check(t.score >= 1)} |`);
    lines.push('', `Furthest from its target: **${ranked[0]!.what}** (${ranked[0]!.detail}).`);
  }
  return lines.join('\n') + '\n';
}
