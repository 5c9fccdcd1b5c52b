/**
 * One load run against a URL: wrk when installed (a C client that leaves more of a small machine's
 * CPU to the server), autocannon otherwise. Same inputs, same result shape.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const run = promisify(execFile);

export interface LoadSpec {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly connections: number;
  readonly seconds: number;
}

export interface LoadResult {
  readonly tool: 'wrk' | 'autocannon';
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly errors: number;
}

let wrkAvailable: boolean | undefined;
export async function hasWrk(): Promise<boolean> {
  if (wrkAvailable === undefined) {
    wrkAvailable = await run('wrk', ['--version']).then(
      () => true,
      (err: { stdout?: string }) => /^wrk /.test(err.stdout ?? ''), // wrk --version exits 1
    );
  }
  return wrkAvailable;
}

const toMs = (value: string, unit: string): number => Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);

async function withWrk(spec: LoadSpec): Promise<LoadResult> {
  const script = join(mkdtempSync(join(tmpdir(), 'bench-wrk-')), 'request.lua');
  const lines = [`wrk.method = "${spec.method}"`];
  if (spec.body !== undefined) lines.push(`wrk.body = [==[${spec.body}]==]`);
  for (const [k, v] of Object.entries(spec.headers)) lines.push(`wrk.headers["${k}"] = "${v}"`);
  writeFileSync(script, lines.join('\n') + '\n');
  const { stdout } = await run('wrk', ['-t1', `-c${spec.connections}`, `-d${spec.seconds}s`, '--latency', '-s', script, spec.url], {
    maxBuffer: 1 << 20,
  });
  const latency = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(stdout);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0) + Number(/Socket errors: .*?(\d+)/.exec(stdout)?.[1] ?? 0);
  return {
    tool: 'wrk',
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]),
    latencyP50Ms: latency('50'),
    latencyP99Ms: latency('99'),
    errors,
  };
}

async function withAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers as Record<string, string>,
    body: spec.body,
    connections: spec.connections,
    duration: spec.seconds,
  });
  return {
    tool: 'autocannon',
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.non2xx + result.errors,
  };
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  return (await hasWrk()) ? withWrk(spec) : withAutocannon(spec);
}
