/**
 * Routing: uWebSockets.js' native router against src/core/wire/router.ts, the figure
 * docs/architecture.md quotes ("Native routing").
 *
 * - In process: `Router.match` alone on the simulator's route table, per call.
 * - In situ: one single-threaded uWS server (router-server.ts) with the table registered natively
 *   on one port and behind the JS router on another; loopback load runs against each port in
 *   turn, alternating which goes first, after a warm-up run (same body, same answer). The
 *   difference in time per request is what routing in JS costs inside a real request.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Router } from '../../src/core/wire/router.js';
import { apiRoutes, type Route } from '../../src/core/wire/routes.js';
import { freePort } from '../processes.js';
import { load } from '../load.js';
import { compare, formatNs, report, type Timing } from './timing.js';

const PATHS = ['/openai/deployments/gpt-4o/chat/completions', '/openai/deployments/embedding/embeddings', '/v1/audio/translations'];

export function routerMatchBench(): Timing[] {
  const router = new Router<Route>(apiRoutes);
  let i = 0;
  const timings = compare([['Router.match, one of three paths', () => router.match('POST', PATHS[i++ % PATHS.length]!)]]);
  report('JS router alone (src/core/wire/router.ts), 15 routes', timings);
  return timings;
}

export async function routerInSituBench(seconds = 4, rounds = 4): Promise<{ nativeRps: number; jsRps: number }> {
  const [nativePort, jsPort] = [await freePort(), await freePort()];
  const server = spawn(process.execPath, [fileURLToPath(new URL('./router-server.js', import.meta.url)), String(nativePort), String(jsPort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (d: Buffer) => /listening/.test(d.toString()) && resolve());
      server.once('exit', (code) => reject(new Error(`router-server exited with ${code}`)));
    });
    const run = async (port: number): Promise<number> =>
      (
        await load({
          url: `http://127.0.0.1:${port}/openai/deployments/gpt-4o/chat/completions`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"messages":[{"role":"user","content":"hi"}]}',
          connections: 16,
          seconds,
        })
      ).requestsPerSecond;
    const native: number[] = [];
    const js: number[] = [];
    // The order alternates, so neither port always runs first (a warm-up advantage).
    await run(nativePort);
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        native.push(await run(nativePort));
        js.push(await run(jsPort));
      } else {
        js.push(await run(jsPort));
        native.push(await run(nativePort));
      }
    }
    const best = (xs: number[]): number => Math.max(...xs);
    const nativeRps = best(native);
    const jsRps = best(js);
    process.stdout.write(
      `\nRouting in situ (one uWS thread, loopback, ${rounds}×${seconds} s each, best round)\n` +
        `  native uWS router                            ${nativeRps.toFixed(0).padStart(8)} req/s   ×1.00\n` +
        `  one /* handler + JS router                   ${jsRps.toFixed(0).padStart(8)} req/s   ×${(jsRps / nativeRps).toFixed(2)}\n` +
        `  JS routing cost per request (1/js − 1/native) ${formatNs(1e9 / jsRps - 1e9 / nativeRps).padStart(8)}\n`,
    );
    return { nativeRps, jsRps };
  } finally {
    server.kill('SIGTERM');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  routerMatchBench();
  await routerInSituBench();
}
