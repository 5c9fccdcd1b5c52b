/**
 * Main's side of `GET /metrics`: its own series — process metrics (prom-client's default
 * collectors: CPU, memory, main's event loop, handles), the worker pool's queue and threads, each
 * rate-limited deployment's budget — and the rendering of the whole exposition. Every front-end
 * thread records its own requests (protocol/metrics.ts) and hands main a snapshot in prom-client's
 * JSON shape; `AggregatorRegistry.aggregate()` sums them series by series (histogram buckets
 * included) with main's, and prom-client writes the text. The pool's workers record nothing of
 * their own: a pooled request is measured by the front-end thread that answers it, and the pool's
 * figures are piscina's, read here.
 *
 * Remaining budgets are read at scrape time from the shared windows themselves (a check of cost
 * 0), not from the last admission some thread saw: exact, and free on the hot path.
 */
import client from 'prom-client';
import { DeploymentLimiter } from '../core/limits/rate-limits.js';
import type { LimitSpecs } from '../core/limits/windows.js';
import type { MetricsSnapshot } from '../protocol/metrics.js';

/** What main reads of the pool at scrape time (piscina's own figures). */
export interface PoolFigures {
  readonly queueSize: number;
  readonly threads: number;
  readonly completed: number;
  /** Tasks refused with a 429 because the queue was full (SIMULATOR_POOL_MAX_QUEUE). */
  readonly refused: number;
}

export interface MainMetricsSources {
  readonly limits: () => LimitSpecs;
  readonly pool: () => PoolFigures | undefined;
  readonly frontEndThreads: () => number;
}

/** What is left of a deployment's budgets now (a check of cost 0 charges nothing). */
function left(limiter: DeploymentLimiter): { remainingTokens: number; remainingRequests: number } | undefined {
  const admission = limiter.check(0);
  return 'remainingTokens' in admission ? admission : undefined;
}

export class MainMetrics {
  readonly #registry = new client.Registry();

  constructor(sources: MainMetricsSources) {
    const registers = [this.#registry];
    client.collectDefaultMetrics({ register: this.#registry });
    new client.Gauge({
      name: 'aoai_sim_pool_queue_depth',
      help: 'Heavy requests waiting for a worker-pool thread.',
      registers,
      collect() {
        this.set(sources.pool()?.queueSize ?? 0);
      },
    });
    new client.Gauge({
      name: 'aoai_sim_pool_threads',
      help: 'Worker-pool threads running.',
      registers,
      collect() {
        this.set(sources.pool()?.threads ?? 0);
      },
    });
    new client.Counter({
      name: 'aoai_sim_pool_tasks_total',
      help: 'Tasks the worker pool completed.',
      registers,
      collect() {
        this.reset();
        this.inc(sources.pool()?.completed ?? 0);
      },
    });
    new client.Counter({
      name: 'aoai_sim_pool_refused_total',
      help: 'Heavy requests refused with a 429 because the worker pool\'s queue was full (SIMULATOR_POOL_MAX_QUEUE).',
      registers,
      collect() {
        this.reset();
        this.inc(sources.pool()?.refused ?? 0);
      },
    });
    new client.Gauge({
      name: 'aoai_sim_front_end_threads',
      help: 'Front-end threads running.',
      registers,
      collect() {
        this.set(sources.frontEndThreads());
      },
    });
    const budget = (name: string, help: string, read: (limiter: DeploymentLimiter) => number | undefined): void => {
      new client.Gauge({
        name,
        help,
        labelNames: ['deployment'],
        registers,
        collect() {
          this.reset();
          for (const [deployment, spec] of Object.entries(sources.limits())) {
            const value = read(new DeploymentLimiter(spec));
            if (value !== undefined) this.set({ deployment }, value);
          }
        },
      });
    };
    budget('aoai_sim_limit_remaining_tokens', 'Tokens left in a deployment’s one-minute window (token-limited deployments).', (l) =>
      l.spec.kind === 'tokens' ? left(l)?.remainingTokens : undefined,
    );
    budget('aoai_sim_limit_remaining_requests', 'Requests left in a deployment’s window (10 s for token-limited deployments, one minute for request-limited ones).', (l) =>
      left(l)?.remainingRequests,
    );
    budget('aoai_sim_limit_tokens_per_minute', 'A deployment’s token budget per minute.', (l) => (l.spec.kind === 'tokens' ? l.spec.tokensPerMinute : undefined));
    budget('aoai_sim_limit_requests_per_minute', 'A deployment’s request budget per minute (request-limited deployments).', (l) =>
      l.spec.kind === 'requests' ? l.spec.requestsPerMinute : undefined,
    );
  }

  /** The exposition: every thread's snapshot and main's series, summed series by series. */
  async render(snapshots: readonly MetricsSnapshot[]): Promise<string> {
    const own = (await this.#registry.getMetricsAsJSON()) as unknown as MetricsSnapshot;
    const text = await client.AggregatorRegistry.aggregate([own, ...snapshots] as unknown as Parameters<typeof client.AggregatorRegistry.aggregate>[0]).metrics();
    // prom-client writes a NaN sample (the event-loop lag of a histogram with no sample yet, as
    // when two scrapes come a moment apart) as `Nan`; the text format's token is `NaN`.
    return text.replace(/ Nan$/gm, ' NaN');
  }
}

export const METRICS_CONTENT_TYPE = client.Registry.PROMETHEUS_CONTENT_TYPE;
