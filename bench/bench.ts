/**
 * `make bench`: the simulator's own cost, scenario by scenario, side by side with a bare
 * uWebSockets.js server answering the same bytes, in one run on one machine (scenarios.ts says
 * what runs). Prints progress and a table while it runs; a full run writes
 * bench/results/latest.json and latest.md.
 *
 *   node dist/bench/bench.js [--seconds 5] [--warm-up 2] [--connections 64] [--rounds 1]
 *                            [--only chat,chat-threads,slow-streams,idle-memory,…] [--tool wrk|autocannon]
 *                            [--max-streams 10000] [--out DIR] [--metrics-off]
 *                            [--pin-client CPUS --pin-server CPUS]
 *
 * `--metrics-off`: each scenario runs a second time with SIMULATOR_METRICS=false, next to it in
 * the same run: what recording the metrics costs.
 *
 * `--pin-client 0-3 --pin-server 4-15` (taskset's CPU lists, util-linux): the load generator (this
 * process, its threads and the wrk it starts) on some cores, the servers on others — on a machine
 * with cores to spare, so that the figures are the server's and not the client's share of the cores.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { captureResponse, writeCannedResponse, type CannedResponse } from './canned-response.js';
import { writeFixtures } from './fixtures.js';
import { load, UNIQUE_ID, type LoadResult, type LoadSpec, type LoadTool } from './load.js';
import { HEAD_EVENTS, PACED_STREAM_BODY, PACED_STREAM_PATH, PACED_STREAM_SETTINGS, pacedStreams, PER_TOKEN_MS, TOKENS, type PacedStreamsResult } from './paced-streams.js';
import { pinServers, startBarePacedServer, startBareServer, startSimulator } from './processes.js';
import { machine, markdown, progress, SCENARIO_HEADER, scenarioRow, STREAM_HEADER, streamRow, type BenchResults, type Comparison, type StreamStep } from './report.js';
import { OVERHEAD_P99_TARGET_MS, scenarios, STREAM_RAMP, VARIATIONS, type Scenario } from './scenarios.js';
import { readStats } from './simulator-stats.js';
import { measureIdleMemory } from './idle-memory.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    'warm-up': { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string' },
    tool: { type: 'string' },
    'max-streams': { type: 'string', default: String(STREAM_RAMP.report.at(-1)) },
    out: { type: 'string' },
    'metrics-off': { type: 'boolean', default: false },
    'pin-client': { type: 'string' },
    'pin-server': { type: 'string' },
  },
});
const pinning = { client: values['pin-client'], server: values['pin-server'] };
if ((pinning.client === undefined) !== (pinning.server === undefined)) throw new Error('--pin-client and --pin-server go together (two CPU lists, e.g. 0-3 and 4-15)');
if (pinning.client !== undefined) {
  try {
    // -a: every thread of this process (autocannon runs here); the wrk processes it starts inherit it.
    execFileSync('taskset', ['-a', '-pc', pinning.client, String(process.pid)], { stdio: 'ignore' });
  } catch (err) {
    throw new Error(`--pin-client: taskset (util-linux) failed: ${(err as Error).message}`);
  }
  pinServers(pinning.server);
}
const options = { seconds: Number(values.seconds), warmUpSeconds: Number(values['warm-up']), connections: Number(values.connections), rounds: Number(values.rounds) };
const tool = values.tool as LoadTool | undefined;
const only = values.only?.split(',');
const wanted = (id: string): boolean => !only || only.includes(id);
// Results are written for full runs (what latest.* must stand for), or where --out says.
const outDir = values.out ?? (only ? undefined : fileURLToPath(new URL('../../bench/results', import.meta.url)));

const API_KEY = 'bench-key';
const HEADERS = { 'content-type': 'application/json', 'api-key': API_KEY };
// Pinned, the servers' threads follow the server's CPU list (taskset counts them for us).
const CORES = pinning.server !== undefined ? Number(execFileSync('taskset', ['-c', pinning.server, process.execPath, '-p', 'require("node:os").availableParallelism()'], { encoding: 'utf8' })) : availableParallelism();
// fill: every chat answer is exactly max_tokens, so the bare server's captured answer is typical.
const BENCH_SETTINGS = { SIMULATOR_API_KEY: API_KEY, SIMULATOR_ANSWER_LENGTH: 'fill' };
const scratch = mkdtempSync(join(tmpdir(), 'bench-'));

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const view = (runs: readonly LoadResult[]): Comparison['bare'] => ({
  requestsPerSecond: median(runs.map((x) => x.requestsPerSecond)),
  latencyP50Ms: median(runs.map((x) => x.latencyP50Ms)),
  latencyP99Ms: median(runs.map((x) => x.latencyP99Ms)),
});

/** The first answer with the status the scenario expects (the 429 path admits its first request). */
async function capture(port: number, s: Scenario): Promise<CannedResponse> {
  for (let i = 0; i < 20; i++) {
    const response = await captureResponse(`http://127.0.0.1:${port}${s.path}`, { method: 'POST', headers: HEADERS, body: s.body.replace(UNIQUE_ID, `sample-${i}`) });
    if (response.status === s.expectStatus) return response;
  }
  throw new Error(`${s.id}: the simulator never answered ${s.expectStatus}`);
}

function promptTokens(body: string): number | null {
  try {
    return (JSON.parse(body) as { usage?: { prompt_tokens?: number } }).usage?.prompt_tokens ?? null;
  } catch {
    return null; // a stream
  }
}

async function compare(s: Scenario, varied?: { setting: string; value: number | string }, bareThreads = CORES): Promise<Comparison> {
  const label = varied ? `${s.id} ${varied.setting}=${varied.value}` : s.id;
  const sim = await startSimulator({ ...BENCH_SETTINGS, ...s.settings, ...(varied ? { [varied.setting]: String(varied.value) } : {}) });
  try {
    const sample = await capture(sim.port, s);
    const responseFile = join(scratch, `${s.id}.json`);
    writeCannedResponse(responseFile, sample);
    const spec = (port: number, seconds = options.seconds): LoadSpec => ({
      url: `http://127.0.0.1:${port}${s.path}`, method: 'POST', headers: HEADERS, body: s.body, connections: options.connections, seconds, ...(tool ? { tool } : {}),
    });
    const bare = await startBareServer(bareThreads, responseFile);
    const bareRuns: LoadResult[] = [];
    const simRuns: LoadResult[] = [];
    let overheadAtMax;
    try {
      progress(`${label}: warm-up`);
      await load(spec(bare.port, options.warmUpSeconds));
      await load(spec(sim.port, options.warmUpSeconds));
      await readStats(sim.port, API_KEY, true);
      // Alternate, so that drift on a shared machine hits both alike.
      for (let r = 0; r < options.rounds; r++) {
        bareRuns.push(await load(spec(bare.port)));
        simRuns.push(await load(spec(sim.port)));
        progress(`${label}: round ${r + 1}/${options.rounds}: bare ${Math.round(bareRuns.at(-1)!.requestsPerSecond)} req/s, simulator ${Math.round(simRuns.at(-1)!.requestsPerSecond)} req/s`);
      }
      overheadAtMax = (await readStats(sim.port, API_KEY, false)).overhead_ms;
    } finally {
      await bare.stop();
    }
    const simulator = view(simRuns);
    // The overhead target is for half the maximum throughput: a fixed rate, which wrk cannot hold.
    const rateAsked = Math.max(1, Math.round(simulator.requestsPerSecond / 2));
    progress(`${label}: overhead at ${rateAsked} req/s (half the maximum)`);
    await readStats(sim.port, API_KEY, true);
    const half = await load({ ...spec(sim.port), rate: rateAsked });
    const overheadAtHalf = { ...(await readStats(sim.port, API_KEY, false)).overhead_ms, rateAsked, rateAchieved: half.requestsPerSecond };
    const wrongStatus = (x: LoadResult): number => (s.expectStatus < 300 ? x.non2xx : x.requests - x.non2xx);
    return {
      id: s.id,
      title: s.title,
      ...(varied ? { varied } : {}),
      tool: simRuns[0]!.tool,
      bare: view(bareRuns),
      simulator,
      ratio: simulator.requestsPerSecond / view(bareRuns).requestsPerSecond,
      target: varied ? null : (s.target ?? null),
      overheadAtMax,
      overheadAtHalf,
      unexpected: simRuns.reduce((n, x) => n + wrongStatus(x) + x.socketErrors, 0),
      sample: { status: sample.status, bytes: Buffer.byteLength(sample.body), promptTokens: promptTokens(sample.body) },
    };
  } finally {
    await sim.stop();
  }
}

/**
 * Raises the concurrent paced streams, the bare paced server and the simulator at each step
 * (alternating, so that drift hits both alike), until both have passed the p99 lateness limit;
 * then the overload counts the issue asks to see (STREAM_RAMP.report), once each.
 */
async function streamRamp(maxStreams: number): Promise<NonNullable<BenchResults['streams']>> {
  const sim = await startSimulator({ SIMULATOR_API_KEY: API_KEY, ...PACED_STREAM_SETTINGS });
  let bare: Awaited<ReturnType<typeof startBarePacedServer>> | undefined;
  const steps: StreamStep[] = [];
  const held = { simulator: 0, bare: 0 };
  try {
    // The baseline answers with the simulator's own stream, captured (head, events, framing).
    const sample = await captureResponse(`http://127.0.0.1:${sim.port}${PACED_STREAM_PATH}`, { method: 'POST', headers: HEADERS, body: PACED_STREAM_BODY });
    const streamFile = join(scratch, 'paced-stream.json');
    writeCannedResponse(streamFile, sample);
    bare = await startBarePacedServer(CORES, streamFile, PER_TOKEN_MS, TOKENS, HEAD_EVENTS);
    console.log(`\nConcurrent slow streams (${TOKENS} tokens at ${PER_TOKEN_MS} ms), until the scheduler's p99 lateness passes ${STREAM_RAMP.limitMs} ms\n${STREAM_HEADER}`);
    const servers = [['bare', bare], ['simulator', sim]] as const;
    // Warm both up past the JIT's first compilations, which otherwise land in the first steps.
    for (const [, server] of servers) await pacedStreams(server, API_KEY, 500, 'steady', 2);
    const failing = { simulator: false, bare: false };
    const failed = (r: PacedStreamsResult): boolean => r.server.p99 > STREAM_RAMP.limitMs || r.failed > 0;
    const measure = async (n: number, overload: boolean): Promise<void> => {
      for (const [name, server] of servers) {
        if (!overload && failing[name]) continue;
        progress(`slow streams: ${n} at once, ${name}`);
        let r = await pacedStreams(server, API_KEY, n);
        // Noise on a shared machine only ever adds lateness: a failed step gets a second run, and
        // the better of the two stands.
        if (!overload && failed(r)) {
          progress(`slow streams: ${n} at once, ${name}: p99 ${r.server.p99.toFixed(1)} ms, once more`);
          const again = await pacedStreams(server, API_KEY, n);
          if (again.failed <= r.failed && again.server.p99 < r.server.p99) r = again;
        }
        const step: StreamStep = {
          server: name, streams: n, overload, streamsPerSecond: n / r.seconds, tokenEvents: r.tokenEvents,
          clientLatenessMs: r.client, schedulerLatenessMs: r.server, overheadMs: r.overhead,
          cpuMicrosPerEvent: r.cpuMicrosPerEvent, failed: r.failed,
        };
        steps.push(step);
        console.log(streamRow(step, STREAM_RAMP.limitMs));
        if (overload) continue;
        if (failed(r)) failing[name] = true;
        else held[name] = n;
      }
    };
    for (const n of STREAM_RAMP.steps.filter((x) => x <= maxStreams)) {
      await measure(n, false);
      if (failing.simulator && failing.bare) break;
    }
    for (const n of STREAM_RAMP.report.filter((x) => x <= maxStreams && !steps.some((s) => s.streams === x))) await measure(n, true);
  } finally {
    await bare?.stop();
    await sim.stop();
  }
  return { perTokenMs: PER_TOKEN_MS, tokens: TOKENS, limitMs: STREAM_RAMP.limitMs, steps, held: held.simulator, heldByBare: held.bare, frontEndThreads: CORES };
}

const startedAt = new Date();
const machineAtStart = machine();
const fixtures = writeFixtures();
const table = scenarios(fixtures);
const byId = new Map(table.map((s) => [s.id, s]));

const results: Comparison[] = [];
const selected = table.filter((s) => wanted(s.id));
if (selected.length > 0) console.log(`\nScenarios (simulator and bare server: ${CORES} threads)\n${SCENARIO_HEADER}`);
for (const [i, s] of selected.entries()) {
  progress(`[${i + 1}/${selected.length}] ${s.title}`);
  const row = await compare(s);
  results.push(row);
  console.log(scenarioRow(row, OVERHEAD_P99_TARGET_MS));
  if (values['metrics-off']) {
    const off = await compare(s, { setting: 'SIMULATOR_METRICS', value: 'false' });
    results.push(off);
    console.log(scenarioRow(off, OVERHEAD_P99_TARGET_MS));
  }
}

const streams = wanted(STREAM_RAMP.id) ? await streamRamp(Number(values['max-streams'])) : null;

const scaling: BenchResults['scaling'][number][] = [];
for (const v of VARIATIONS.filter((x) => wanted(x.id))) {
  console.log(`\nScaling: ${v.title}\n${SCENARIO_HEADER}`);
  const rows: Comparison[] = [];
  for (const value of v.values) {
    const row = await compare(byId.get(v.scenario)!, { setting: v.setting, value }, v.bareThreadsFollow ? value : CORES);
    rows.push(row);
    console.log(scenarioRow(row, OVERHEAD_P99_TARGET_MS));
  }
  scaling.push({ id: v.id, title: v.title, rows });
}

// Idle memory last: nothing else runs then, and it needs no load generator.
const idleMemory = wanted('idle-memory') ? await measureIdleMemory() : null;

const report: BenchResults = {
  generatedAt: startedAt.toISOString(),
  command: ['node dist/bench/bench.js', ...process.argv.slice(2)].join(' '),
  machine: machineAtStart,
  ...(pinning.client !== undefined ? { pinning: { client: pinning.client, server: pinning.server! } } : {}),
  options,
  scenarios: results,
  scaling,
  streams,
  idleMemory,
  overheadTargetMs: OVERHEAD_P99_TARGET_MS,
};
const summary = markdown(report);
console.log('\n' + summary);
if (outDir) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(outDir, 'latest.md'), summary);
  console.log(`Written: ${join(outDir, 'latest.json')}, ${join(outDir, 'latest.md')}`);
}
