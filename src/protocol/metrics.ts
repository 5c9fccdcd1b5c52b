/**
 * The Prometheus metrics each front-end thread records on the hot path, and the snapshot it
 * hands main on a scrape. Recording is plain JavaScript — a Map lookup per labelled family and a
 * bucket search, no library call — because a library's recorder costs ~1.3 µs a request
 * (prom-client, measured) against ~40 µs of the simulator's own work per request; the snapshot is
 * in prom-client's `getMetricsAsJSON()` shape, so main merges every thread's with prom-client's
 * `AggregatorRegistry.aggregate()` and renders the text with it (process/metrics.ts).
 *
 * Names and buckets: `aoai_sim_*` for the simulator's own series, the OpenTelemetry GenAI
 * semantic conventions' names (dots as underscores, unit suffixed) and buckets for `gen_ai_*`
 * (docs/metrics.md lists them). Label values are bounded: deployments nobody configured get their
 * own value for the first `UNDEFINED_DEPLOYMENT_LABELS` names a thread sees, then `other`.
 */

/** The buckets, in seconds (docs/metrics.md). */
export const BUCKETS = {
  /** gen_ai.server.request.duration: 0.01 … 81.92, doubling. */
  duration: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  /** gen_ai.server.time_to_first_token. */
  firstToken: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  /** gen_ai.server.time_per_output_token. */
  perToken: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5],
  /** The simulator's own time per request: 0.1 ms … 100 ms. */
  overhead: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
} as const;

/** Distinct names of deployments nobody configured that get their own label value, per thread. */
export const UNDEFINED_DEPLOYMENT_LABELS = 50;
export const OTHER_DEPLOYMENT = 'other';

/** One metric family as prom-client's `getMetricsAsJSON()` gives it (what `aggregate()` takes). */
export interface MetricJson {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum' | 'max' | 'min';
  readonly values: readonly { readonly labels: Readonly<Record<string, string | number>>; readonly value: number; readonly metricName?: string }[];
}

export type MetricsSnapshot = readonly MetricJson[];

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
  /** Histograms: the count per bucket (not cumulative), the last one +Inf. */
  readonly counts: Float64Array | undefined;
}

/** One labelled family: its series by their label values joined with \u0001. */
class Family {
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricJson['type'],
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[] | undefined = undefined,
  ) {}

  /** Label values are positional (no array per call): only a new series builds its labels. */
  #at(key: string, a: string, b: string, c: string, d: string): Series {
    let series = this.#series.get(key);
    if (series === undefined) {
      const values = [a, b, c, d];
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
      series = { labels, value: 0, counts: this.buckets ? new Float64Array(this.buckets.length + 1) : undefined };
      this.#series.set(key, series);
    }
    return series;
  }

  add(amount: number, key: string, a: string, b = '', c = '', d = ''): void {
    this.#at(key, a, b, c, d).value += amount;
  }

  /** Histograms: `value` is the sum of observations. */
  observe(seconds: number, key: string, a: string, b = '', c = '', d = ''): void {
    const series = this.#at(key, a, b, c, d);
    series.value += seconds;
    const buckets = this.buckets!;
    let lo = 0;
    let hi = buckets.length;
    // The first bucket whose bound is ≥ the value (le is inclusive); buckets.length is +Inf.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (buckets[mid]! < seconds) lo = mid + 1;
      else hi = mid;
    }
    series.counts![lo]!++;
  }

  json(): MetricJson {
    const values: { labels: Record<string, string | number>; value: number; metricName?: string }[] = [];
    for (const series of this.#series.values()) {
      if (!series.counts) {
        values.push({ labels: series.labels, value: series.value });
        continue;
      }
      let cumulative = 0;
      const buckets = this.buckets!;
      for (let i = 0; i <= buckets.length; i++) {
        cumulative += series.counts[i]!;
        values.push({ labels: { ...series.labels, le: i < buckets.length ? buckets[i]! : '+Inf' }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: series.labels, value: series.value, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: cumulative, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }
}

const gauge = (name: string, help: string, value: number): MetricJson => ({ name, help, type: 'gauge', aggregator: 'sum', values: [{ labels: {}, value }] });

/** A thread's recorder. Every method is called once per request at most, on the thread that owns it. */
export class ThreadMetrics {
  readonly #requests = new Family('aoai_sim_requests_total', 'Requests answered, by deployment, operation, status code and whether a stream was asked for.', 'counter', ['deployment', 'operation', 'status_code', 'stream']);
  readonly #duration = new Family('gen_ai_server_request_duration_seconds', 'Time from a request’s arrival to the end of its answer (simulated latency included).', 'histogram', ['deployment', 'operation', 'status_code', 'stream'], BUCKETS.duration);
  readonly #prompt = new Family('aoai_sim_prompt_tokens_total', 'Prompt tokens of successful requests.', 'counter', ['deployment', 'operation']);
  readonly #completion = new Family('aoai_sim_completion_tokens_total', 'Completion tokens of successful requests.', 'counter', ['deployment', 'operation']);
  readonly #limited = new Family('aoai_sim_rate_limited_total', 'Requests refused with 429 by a deployment’s rate limit, by the limit that refused them.', 'counter', ['deployment', 'limit']);
  readonly #firstToken = new Family('gen_ai_server_time_to_first_token_seconds', 'Streams: time from arrival to the first token event.', 'histogram', ['deployment', 'operation'], BUCKETS.firstToken);
  readonly #perToken = new Family('gen_ai_server_time_per_output_token_seconds', 'Streams: time per output token after the first.', 'histogram', ['deployment', 'operation'], BUCKETS.perToken);
  readonly #faults = new Family('aoai_sim_faults_injected_total', 'Faults injected on purpose, by deployment, fault and what chose it (header, scenario, deployment, global).', 'counter', ['deployment', 'fault', 'source']);
  readonly #overhead = new Family('aoai_sim_overhead_seconds', 'The simulator’s own time per request, from arrival to its answer being ready, simulated latency excluded (as /++/stats overhead_ms).', 'histogram', ['operation'], BUCKETS.overhead);
  #inflight = 0;
  #streams = 0;
  #answered = 0;

  /** `thread`: the front-end thread's index (the per-thread request count's label). */
  constructor(readonly thread = 0) {}
  /** Names of deployments nobody configured that have a label value of their own. */
  readonly #undefinedNames = new Set<string>();

  /**
   * The label value for deployment `name`: itself when configured (`configured` says), or among
   * the first names nobody configured this thread saw; else `other`.
   */
  deploymentLabel(name: string, configured: boolean): string {
    if (configured || this.#undefinedNames.has(name)) return name;
    if (this.#undefinedNames.size >= UNDEFINED_DEPLOYMENT_LABELS) return OTHER_DEPLOYMENT;
    this.#undefinedNames.add(name);
    return name;
  }

  /** One answered (or abandoned) request. `firstTokenS` / `perTokenS`: NaN when not a stream. */
  request(deployment: string, operation: string, status: number, stream: boolean, seconds: number, firstTokenS: number, perTokenS: number): void {
    this.#answered++;
    const streamValue = stream ? 'true' : 'false';
    const statusValue = String(status);
    const key = `${deployment}\u0001${operation}\u0001${statusValue}\u0001${streamValue}`;
    this.#requests.add(1, key, deployment, operation, statusValue, streamValue);
    this.#duration.observe(seconds, key, deployment, operation, statusValue, streamValue);
    // NaN ≠ NaN: not a stream (or no token event was written).
    if (firstTokenS === firstTokenS) {
      const pairKey = `${deployment}\u0001${operation}`;
      this.#firstToken.observe(firstTokenS, pairKey, deployment, operation);
      if (perTokenS === perTokenS) this.#perToken.observe(perTokenS, pairKey, deployment, operation);
    }
  }

  tokens(deployment: string, operation: string, prompt: number, completion: number): void {
    const key = `${deployment}\u0001${operation}`;
    this.#prompt.add(prompt, key, deployment, operation);
    this.#completion.add(completion, key, deployment, operation);
  }

  rateLimited(deployment: string, limit: 'tokens' | 'requests'): void {
    this.#limited.add(1, `${deployment}\u0001${limit}`, deployment, limit);
  }

  /** One injected fault (counted when it is chosen, so a hang is counted before the client gives up). */
  fault(deployment: string, fault: string, source: string): void {
    this.#faults.add(1, `${deployment}\u0001${fault}\u0001${source}`, deployment, fault, source);
  }

  overhead(operation: string, seconds: number): void {
    this.#overhead.observe(seconds, operation, operation);
  }

  /** +1 when a request arrives, -1 when it is over. */
  inflight(delta: number): void {
    this.#inflight += delta;
  }

  /** +1 when a stream's head is written, -1 when it is over. */
  streams(delta: number): void {
    this.#streams += delta;
  }

  snapshot(): MetricsSnapshot {
    return [
      this.#requests.json(),
      this.#duration.json(),
      this.#prompt.json(),
      this.#completion.json(),
      this.#limited.json(),
      this.#faults.json(),
      this.#firstToken.json(),
      this.#perToken.json(),
      this.#overhead.json(),
      gauge('aoai_sim_inflight_requests', 'Requests arrived and not yet answered (waiting for simulated latency included).', this.#inflight),
      gauge('aoai_sim_active_streams', 'Event streams under way.', this.#streams),
      {
        name: 'aoai_sim_front_end_requests_total',
        help: 'Requests answered, by front-end thread (how evenly the kernel spreads connections).',
        type: 'counter',
        aggregator: 'sum',
        values: [{ labels: { thread: String(this.thread) }, value: this.#answered }],
      },
    ];
  }
}
