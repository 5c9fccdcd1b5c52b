/**
 * Scheduling accuracy of paced streams under load, at fixed stream counts (see paced-streams.ts
 * for what is measured). `make bench` ramps the same measurement until the error passes 5 ms.
 *
 *   node dist/bench/stream-scheduling.js [--streams 1000,5000]
 */
import { parseArgs } from 'node:util';
import { PACED_STREAM_SETTINGS, pacedStreams, PER_TOKEN_MS, quantile, TOKENS } from './paced-streams.js';
import { startSimulator } from './processes.js';

const { values } = parseArgs({ options: { streams: { type: 'string', default: '1000,5000' } } });
const API_KEY = 'k';
const sim = await startSimulator({ SIMULATOR_API_KEY: API_KEY, ...PACED_STREAM_SETTINGS });
console.log(`Paced streams: ${TOKENS} tokens at ${PER_TOKEN_MS} ms each; token arrival minus intended time (after the stream's first event), at the client`);
console.log('| concurrent streams | token events | client p50 ms | client p99 ms | client max ms | server p50 ms | server p99 ms | server max ms | failed |');
console.log('|---|---|---|---|---|---|---|---|---|');
try {
  for (const n of values.streams.split(',').map(Number)) {
    const r = await pacedStreams(sim.port, API_KEY, n);
    const lags = r.clientLagsMs;
    console.log(
      `| ${n} | ${r.tokenEvents} | ${quantile(lags, 0.5).toFixed(2)} | ${quantile(lags, 0.99).toFixed(2)} | ${(lags.at(-1) ?? NaN).toFixed(2)} | ` +
        `${r.server.p50.toFixed(2)} | ${r.server.p99.toFixed(2)} | ${r.server.max.toFixed(2)} | ${r.failed} |`,
    );
  }
} finally {
  await sim.stop();
}
