/**
 * Scheduling accuracy of paced streams under load, at fixed stream counts and both load shapes
 * (see paced-streams.ts for what is measured). `make bench` ramps the steady shape until the
 * error passes 5 ms, next to the bare paced server.
 *
 *   node dist/bench/stream-scheduling.js [--streams 1000,5000] [--shape steady,burst] [--seconds 5]
 */
import { parseArgs } from 'node:util';
import { PACED_STREAM_SETTINGS, pacedStreams, PER_TOKEN_MS, TOKENS, type StreamShape } from './paced-streams.js';
import { startSimulator } from './processes.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000,5000' },
    shape: { type: 'string', default: 'steady,burst' },
    seconds: { type: 'string', default: '5' },
  },
});
const API_KEY = 'k';
const sim = await startSimulator({ SIMULATOR_API_KEY: API_KEY, ...PACED_STREAM_SETTINGS });
const f = (x: number): string => x.toFixed(2);
console.log(`Paced streams: ${TOKENS} tokens at ${PER_TOKEN_MS} ms each. Lateness in ms: server = scheduler (write ran − due), client = token arrival − intended.`);
console.log('| shape | concurrent streams | token events | server p50 | server p99 | server max | client p50 | client p99 | CPU µs/event server / client | failed |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
try {
  for (const shape of values.shape.split(',') as StreamShape[]) {
    for (const n of values.streams.split(',').map(Number)) {
      const r = await pacedStreams(sim, API_KEY, n, shape, Number(values.seconds));
      console.log(
        `| ${shape} | ${n} | ${r.server.count} | ${f(r.server.p50)} | ${f(r.server.p99)} | ${f(r.server.max)} | ` +
          `${f(r.client.p50)} | ${f(r.client.p99)} | ${r.cpuMicrosPerEvent.server.toFixed(1)} / ${r.cpuMicrosPerEvent.client.toFixed(1)} | ${r.failed} |`,
      );
    }
  }
} finally {
  await sim.stop();
}
