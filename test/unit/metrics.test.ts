/**
 * The thread recorder (protocol/metrics.ts) and the strict text parser the e2e tests read
 * `/metrics` with (test/helpers/prometheus-text.ts): the recorder's label cap and bucket bounds,
 * its snapshot merged and rendered by prom-client as main does, and the parser refusing what the
 * format forbids.
 */
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BUCKETS, OTHER_DEPLOYMENT, ThreadMetrics, UNDEFINED_DEPLOYMENT_LABELS } from '../../src/protocol/metrics.js';
import { parsePrometheusText, samples } from '../helpers/prometheus-text.js';

const render = (...threads: ThreadMetrics[]): Promise<string> =>
  client.AggregatorRegistry.aggregate(threads.map((t) => t.snapshot()) as unknown as Parameters<typeof client.AggregatorRegistry.aggregate>[0]).metrics();

describe('ThreadMetrics', () => {
  it('gives deployments nobody configured their own label up to the cap, then "other"; configured ones always', () => {
    const m = new ThreadMetrics();
    for (let i = 0; i < UNDEFINED_DEPLOYMENT_LABELS; i++) expect(m.deploymentLabel(`made-up-${i}`, false)).toBe(`made-up-${i}`);
    expect(m.deploymentLabel('one-too-many', false)).toBe(OTHER_DEPLOYMENT);
    expect(m.deploymentLabel('made-up-3', false)).toBe('made-up-3');
    expect(m.deploymentLabel('configured', true)).toBe('configured');
  });

  it('puts an observation on a bound into that bucket (le is inclusive), above the last into +Inf', async () => {
    const m = new ThreadMetrics();
    m.overhead('chat', BUCKETS.overhead[0]);
    m.overhead('chat', 0.00011);
    m.overhead('chat', 5);
    const buckets = samples(parsePrometheusText(await render(m)), 'aoai_sim_overhead_seconds_bucket');
    const at = (le: string): number => buckets.find((b) => b.labels.le === le)!.value;
    expect(at('0.0001')).toBe(1);
    expect(at('0.00025')).toBe(2);
    expect(at('0.1')).toBe(2);
    expect(at('+Inf')).toBe(3);
  });

  it('sums two threads series by series through prom-client, as main renders them', async () => {
    const a = new ThreadMetrics(0);
    const b = new ThreadMetrics(1);
    a.request('d', 'chat', 200, false, 0.05, NaN, NaN);
    b.request('d', 'chat', 200, false, 0.5, NaN, NaN);
    b.request('d', 'chat', 429, false, 0.001, NaN, NaN);
    a.tokens('d', 'chat', 10, 20);
    b.tokens('d', 'chat', 1, 2);
    const families = parsePrometheusText(await render(a, b));
    expect(samples(families, 'aoai_sim_requests_total').map((s) => [s.labels.status_code, s.value])).toEqual([['200', 2], ['429', 1]]);
    expect(samples(families, 'aoai_sim_prompt_tokens_total')[0]!.value).toBe(11);
    expect(samples(families, 'aoai_sim_completion_tokens_total')[0]!.value).toBe(22);
    const ok = samples(families, 'gen_ai_server_request_duration_seconds_bucket').filter((s) => s.labels.status_code === '200');
    expect(ok.find((s) => s.labels.le === '0.08')!.value).toBe(1);
    expect(ok.find((s) => s.labels.le === '0.64')!.value).toBe(2);
    expect(samples(families, 'aoai_sim_front_end_requests_total').map((s) => [s.labels.thread, s.value])).toEqual([['0', 1], ['1', 2]]);
  });
});

describe('the strict Prometheus text parser', () => {
  const good = '# HELP x_total a counter\n# TYPE x_total counter\nx_total{a="1",b="q\\"uote"} 3\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1.5\nh_count 2\n';

  it('reads families, labels (with escapes) and values', () => {
    const families = parsePrometheusText(good);
    expect(families.get('x_total')).toMatchObject({ type: 'counter', help: 'a counter' });
    expect(samples(families, 'x_total')).toEqual([{ name: 'x_total', labels: { a: '1', b: 'q"uote' }, value: 3 }]);
    expect(samples(families, 'h_count')[0]!.value).toBe(2);
  });

  it.each([
    ['a sample before any TYPE', 'x 1\n'],
    ['a sample of another family', '# TYPE x counter\ny 1\n'],
    ['a bad value', '# TYPE x counter\nx one\n'],
    ['an unquoted label', '# TYPE x counter\nx{a=1} 1\n'],
    ['a series twice', '# TYPE x counter\nx{a="1"} 1\nx{a="1"} 2\n'],
    ['falling buckets', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n'],
    ['no +Inf bucket', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\n'],
    ['a count that is not +Inf', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\n'],
    ['no final newline', '# TYPE x counter\nx 1'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
