/**
 * The latency model (python-compatibility.md §9): a normal(mean, std_dev) sample per request, in milliseconds per
 * completion token for chat and completions, per request for embeddings, per MiB of uploaded
 * audio for transcriptions and translations (both under the `translations` setting, as the Python
 * simulator had only that one). A stream spends the same
 * total, one token's worth before each token event, instead of all of it up front.
 */
import type { LatencySetting, Settings } from './config/settings.js';
import type { Metered } from './generation/answer.js';
import type { Operation } from './models.js';

/** Box–Muller; never negative (a negative sample means no added delay, as in the Python version). */
export function normalSample(mean: number, stdDev: number, random: () => number = Math.random): number {
  if (stdDev <= 0) return Math.max(0, mean);
  const u = 1 - random();
  const v = random();
  return Math.max(0, mean + stdDev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

export type LatencyConfig = Settings['latency'];

const PER_TOKEN: Partial<Record<Operation, keyof LatencyConfig>> = { chat: 'chatCompletions', completions: 'completions' };
const PER_REQUEST: Partial<Record<Operation, keyof LatencyConfig>> = { embeddings: 'embeddings' };
const PER_MIB: Partial<Record<Operation, keyof LatencyConfig>> = { transcriptions: 'translations', translations: 'translations' };
const MIB = 1024 * 1024;
const PER_IMAGE: Partial<Record<Operation, keyof LatencyConfig>> = { images: 'images' };

export interface Pace {
  /** Milliseconds from the request's arrival to the whole answer (JSON), or to its last token. */
  readonly totalMs: number;
  /** Milliseconds from the request's arrival to a stream's first token (then one per `perTokenMs`). */
  readonly firstTokenMs: number;
  /** Milliseconds per token event of a stream (0 when the latency is per request). */
  readonly perTokenMs: number;
}

export function pace(config: LatencyConfig, operation: Operation, metered: Metered, random: () => number = Math.random): Pace {
  const { completionTokens } = metered;
  const perToken = PER_TOKEN[operation];
  if (perToken) {
    const setting = config[perToken];
    const sample = normalSample(setting.mean, setting.stdDev, random);
    const ttft = normalSample(setting.ttftMean ?? 0, setting.ttftStdDev ?? 0, random);
    // The first token takes the time to first token (if set) and one token's latency.
    return { totalMs: ttft + sample * completionTokens, firstTokenMs: ttft + sample, perTokenMs: sample };
  }
  const perRequest = PER_REQUEST[operation];
  if (perRequest) {
    const setting: LatencySetting = config[perRequest];
    const total = normalSample(setting.mean, setting.stdDev, random);
    return { totalMs: total, firstTokenMs: total, perTokenMs: 0 };
  }
  const perMiB = PER_MIB[operation];
  if (perMiB) {
    const setting: LatencySetting = config[perMiB];
    const total = (normalSample(setting.mean, setting.stdDev, random) * (metered.audioBytes ?? 0)) / MIB;
    return { totalMs: total, firstTokenMs: total, perTokenMs: 0 };
  }
  const perImage = PER_IMAGE[operation];
  if (perImage) {
    const setting: LatencySetting = config[perImage];
    const total = normalSample(setting.mean, setting.stdDev, random) * (metered.images ?? 1);
    return { totalMs: total, firstTokenMs: total, perTokenMs: 0 };
  }
  return { totalMs: 0, firstTokenMs: 0, perTokenMs: 0 };
}
