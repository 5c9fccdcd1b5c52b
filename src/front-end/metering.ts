/**
 * The thread's meter (http/exchange.ts `Meter`): the overhead histogram of `/++/stats` always,
 * and, unless `SIMULATOR_METRICS=false`, the Prometheus metrics (protocol/metrics.ts) — read off
 * the exchange's fields once, when it is over, so the pipeline only fills fields in.
 */
import type { Meter } from './http/exchange.js';
import type { ThreadMetrics } from '../protocol/metrics.js';
import type { ThreadStats } from '../protocol/stats.js';

/** Closed before any head was written (the client went away): nginx's "client closed request". */
export const CLIENT_CLOSED = 499;

export function threadMeter(stats: ThreadStats, metrics: ThreadMetrics | undefined): Meter {
  if (!metrics) {
    const ignore = (): void => {};
    return { opened: ignore, stream: ignore, done: ignore, ready: (_ex, ms) => stats.recordOverhead(ms) };
  }
  return {
    opened: () => metrics.inflight(1),
    ready: (ex, ms) => {
      stats.recordOverhead(ms);
      metrics.overhead(ex.operation, ms / 1000);
    },
    stream: () => metrics.streams(1),
    done: (ex) => {
      const now = performance.now();
      metrics.inflight(-1);
      if (ex.streamed) metrics.streams(-1);
      const deployment = ex.deployment === 'none' ? ex.deployment : metrics.deploymentLabel(ex.deployment, ex.config.deployments.configured.has(ex.deployment));
      const status = ex.status === 0 ? CLIENT_CLOSED : ex.status;
      let firstToken = NaN;
      let perToken = NaN;
      if (ex.firstTokenAt === ex.firstTokenAt) {
        firstToken = (ex.firstTokenAt - ex.startedAt) / 1000;
        if (ex.completionTokens > 1) perToken = (now - ex.firstTokenAt) / 1000 / (ex.completionTokens - 1);
      }
      metrics.request(deployment, ex.operation, status, ex.stream, (now - ex.startedAt) / 1000, firstToken, perToken);
      if (status === 200 && (ex.promptTokens > 0 || ex.completionTokens > 0)) metrics.tokens(deployment, ex.operation, ex.promptTokens, ex.completionTokens);
      if (ex.limited !== undefined && status === 429) metrics.rateLimited(deployment, ex.limited);
    },
  };
}
