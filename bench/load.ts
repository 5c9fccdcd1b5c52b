/**
 * One load run against a URL: wrk when installed (a C client that leaves more of a small machine's
 * CPU to the server), autocannon otherwise or when a fixed request rate is asked for (wrk cannot
 * hold a rate; wrk2 is not packaged). Same inputs, same result shape.
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const run = promisify(execFile);

/** Where a body takes a per-request id. */
export const UNIQUE_ID = '[<id>]';

/** A tag per run keeps ids unique across runs too (the server's caches outlive one run). */
const runTag = (): string => randomBytes(6).toString('hex');

export type LoadTool = 'wrk' | 'autocannon';

export interface LoadSpec {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  /** With UNIQUE_ID in it, every request gets its own id there (defeats the server's caches). */
  readonly body?: string;
  readonly connections: number;
  readonly seconds: number;
  /** Requests per second for the whole run (autocannon only); unset = as fast as the server answers. */
  readonly rate?: number;
  /** Forces a tool; by default wrk when installed. */
  readonly tool?: LoadTool;
}

export interface LoadResult {
  readonly tool: LoadTool;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** Answers outside 2xx/3xx: a failure, or the point of the run (the 429 path). */
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly socketErrors: number;
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

/** wrk's request script: fixed method, headers and body, or a body with a fresh id per request. */
function wrkScript(spec: LoadSpec): string {
  const lines = [`wrk.method = "${spec.method}"`];
  for (const [k, v] of Object.entries(spec.headers)) lines.push(`wrk.headers["${k}"] = "${v}"`);
  const body = spec.body ?? '';
  const at = body.indexOf(UNIQUE_ID);
  if (at < 0) {
    if (spec.body !== undefined) lines.push(`wrk.body = [==[${body}]==]`);
  } else {
    const run = runTag();
    lines.push(
      `local prefix, suffix = [==[${body.slice(0, at)}]==], [==[${body.slice(at + UNIQUE_ID.length)}]==]`,
      'local n = 0',
      'request = function()',
      '  n = n + 1',
      `  return wrk.format(nil, nil, nil, prefix .. "${run}-" .. n .. suffix)`,
      'end',
    );
  }
  return lines.join('\n') + '\n';
}

async function withWrk(spec: LoadSpec): Promise<LoadResult> {
  const script = join(mkdtempSync(join(tmpdir(), 'bench-wrk-')), 'request.lua');
  writeFileSync(script, wrkScript(spec));
  const { stdout } = await run('wrk', ['-t1', `-c${spec.connections}`, `-d${spec.seconds}s`, '--latency', '-s', script, spec.url], {
    maxBuffer: 1 << 20,
  });
  const latency = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(stdout);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    tool: 'wrk',
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0),
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]),
    latencyP50Ms: latency('50'),
    latencyP99Ms: latency('99'),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
    socketErrors: socketErrors ? socketErrors.slice(1).reduce((n, x) => n + Number(x), 0) : 0,
  };
}

async function withAutocannon(spec: LoadSpec): Promise<LoadResult> {
  // Not autocannon's own idReplacement: with it, this version sent no request at all.
  const unique = spec.body?.includes(UNIQUE_ID) ? { tag: runTag(), n: 0, body: spec.body } : undefined;
  const result = await autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers as Record<string, string>,
    body: spec.body,
    ...(unique ? { requests: [{ setupRequest: (req) => ({ ...req, body: unique.body.replace(UNIQUE_ID, `${unique.tag}-${++unique.n}`) }) }] } : {}),
    connections: spec.connections,
    duration: spec.seconds,
    ...(spec.rate === undefined ? {} : { overallRate: spec.rate }),
  });
  return {
    tool: 'autocannon',
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    socketErrors: result.errors,
  };
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  const tool = spec.rate !== undefined ? 'autocannon' : (spec.tool ?? ((await hasWrk()) ? 'wrk' : 'autocannon'));
  return tool === 'wrk' ? withWrk(spec) : withAutocannon(spec);
}
