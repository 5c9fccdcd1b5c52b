/**
 * `make bench-micro`: the micro-benchmarks behind the figures docs/architecture.md quotes
 * ("Why it is fast"), each candidate against its baseline in the same run. `--only tokenizer|auth|router`.
 */
import { authBench } from './auth.js';
import { routerInSituBench, routerMatchBench } from './router.js';
import { tokenizerBench } from './tokenizer.js';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
process.stdout.write(`Node ${process.version}; median of 7 interleaved rounds per micro-benchmark\n`);
if (!only || only === 'tokenizer') tokenizerBench();
if (!only || only === 'auth') authBench();
if (!only || only === 'router') {
  routerMatchBench();
  await routerInSituBench();
}
