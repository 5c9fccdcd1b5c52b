// The live page: polls /metrics (the Prometheus text the simulator serves) and draws one row per
// deployment. Plain JavaScript, no dependencies; the key is kept in this tab's sessionStorage.
const KEY = 'aoai-simulated-api.key';
const params = new URLSearchParams(location.search);
const INTERVAL_MS = Math.max(250, Number(params.get('interval')) || 1000);

const $ = (id) => document.getElementById(id);
const rows = $('rows');
const filter = $('filter');
let previous; // { at, perDeployment, total } from the last poll: rates are deltas between polls
let timer;

/** Prometheus text → [{ name, labels, value }] (comments and blank lines skipped). */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** A quantile from cumulative buckets [[le, count]…] (le ascending, +Inf last), as histogram_quantile does. */
export function quantile(q, buckets) {
  if (buckets.length === 0) return NaN;
  const total = buckets[buckets.length - 1][1];
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(count - prevCount, 1e-9);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

function addBucket(map, key, le, value) {
  let b = map.get(key);
  if (!b) map.set(key, (b = new Map()));
  b.set(le, (b.get(le) ?? 0) + value);
}
const sorted = (b) => (b ? [...b].map(([le, c]) => [le === '+Inf' ? Infinity : Number(le), c]).sort((x, y) => x[0] - y[0]) : []);

/** Per-deployment figures from the samples. */
export function summarise(samples) {
  const d = new Map();
  const at = (name) => {
    let x = d.get(name);
    if (!x) d.set(name, (x = { deployment: name, requests: 0, limitedTokens: 0, limitedRequests: 0, prompt: 0, completion: 0, limitTpm: NaN, limitRpm: NaN, remainingTokens: NaN }));
    return x;
  };
  const duration = new Map();
  const ttft = new Map();
  const overhead = new Map();
  const total = { requests: 0, limited: 0, inflight: 0, streams: 0, poolQueue: 0 };
  for (const { name, labels, value } of samples) {
    const dep = labels.deployment;
    switch (name) {
      case 'aoai_sim_requests_total':
        total.requests += value;
        if (dep !== 'none') at(dep).requests += value;
        break;
      case 'aoai_sim_rate_limited_total':
        total.limited += value;
        if (labels.limit === 'tokens') at(dep).limitedTokens += value;
        else at(dep).limitedRequests += value;
        break;
      case 'aoai_sim_prompt_tokens_total': at(dep).prompt += value; break;
      case 'aoai_sim_completion_tokens_total': at(dep).completion += value; break;
      case 'aoai_sim_limit_tokens_per_minute': at(dep).limitTpm = value; break;
      case 'aoai_sim_limit_requests_per_minute': at(dep).limitRpm = value; break;
      case 'aoai_sim_limit_remaining_tokens': at(dep).remainingTokens = value; break;
      case 'gen_ai_server_request_duration_seconds_bucket': if (dep !== 'none') addBucket(duration, dep, labels.le, value); break;
      case 'gen_ai_server_time_to_first_token_seconds_bucket': addBucket(ttft, dep, labels.le, value); break;
      case 'aoai_sim_overhead_seconds_bucket': addBucket(overhead, '', labels.le, value); break;
      case 'aoai_sim_inflight_requests': total.inflight += value; break;
      case 'aoai_sim_active_streams': total.streams += value; break;
      case 'aoai_sim_pool_queue_depth': total.poolQueue += value; break;
    }
  }
  for (const x of d.values()) {
    const lat = sorted(duration.get(x.deployment));
    const first = sorted(ttft.get(x.deployment));
    x.p50 = quantile(0.5, lat);
    x.p99 = quantile(0.99, lat);
    x.ttft50 = quantile(0.5, first);
    x.ttft99 = quantile(0.99, first);
  }
  const own = sorted(overhead.get(''));
  total.overhead50 = quantile(0.5, own);
  total.overhead99 = quantile(0.99, own);
  return { deployments: d, total };
}

const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const rate = (n) => (Number.isFinite(n) ? (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)) : '–');
const ms = (s) => (Number.isFinite(s) ? (s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)} ms`) : '–');

function cell(tr, field, text, cls = 'num') {
  const td = document.createElement('td');
  td.dataset.field = field;
  td.className = cls;
  td.textContent = text;
  tr.append(td);
  return td;
}

function meter(td, used, limit) {
  const div = document.createElement('div');
  const share = Number.isFinite(limit) && limit > 0 ? Math.min(1, used / limit) : 0;
  div.className = `meter${share >= 1 ? ' full' : share >= 0.8 ? ' warn' : ''}`;
  const bar = document.createElement('i');
  bar.style.width = `${(share * 100).toFixed(1)}%`;
  const label = document.createElement('span');
  label.textContent = `${int(used)} · ${Number.isFinite(limit) ? int(limit) : 'no limit'}`;
  div.append(bar, label);
  td.textContent = '';
  td.append(div);
}

function render(summary, seconds) {
  const { deployments, total } = summary;
  const last = previous;
  const rps = last && seconds > 0 ? (total.requests - last.total.requests) / seconds : NaN;
  document.querySelector('[data-total="rps"]').textContent = rate(rps);
  document.querySelector('[data-total="requests"]').textContent = int(total.requests);
  document.querySelector('[data-total="rate-limited"]').textContent = int(total.limited);
  document.querySelector('[data-total="inflight"]').textContent = int(total.inflight);
  document.querySelector('[data-total="streams"]').textContent = int(total.streams);
  document.querySelector('[data-total="pool-queue"]').textContent = int(total.poolQueue);
  document.querySelector('[data-total="overhead"]').textContent = `${ms(total.overhead50)} / ${ms(total.overhead99)}`;

  const wanted = filter.value.trim().toLowerCase();
  const list = [...deployments.values()].filter((x) => x.deployment.toLowerCase().includes(wanted)).sort((a, b) => b.requests - a.requests || a.deployment.localeCompare(b.deployment));
  $('count').textContent = `${list.length} of ${deployments.size} deployments`;
  const fragment = document.createDocumentFragment();
  for (const x of list) {
    const before = last?.deployments.get(x.deployment);
    const tr = document.createElement('tr');
    tr.dataset.deployment = x.deployment;
    if (x.limitedTokens + x.limitedRequests > (before ? before.limitedTokens + before.limitedRequests : 0)) tr.className = 'limited';
    cell(tr, 'deployment', x.deployment, '');
    // Token-limited: what the limiter counts in its minute; otherwise the tokens of the last poll, per minute.
    const used = Number.isFinite(x.remainingTokens) && Number.isFinite(x.limitTpm)
      ? x.limitTpm - x.remainingTokens
      : before && seconds > 0 ? ((x.prompt + x.completion - before.prompt - before.completion) * 60) / seconds : NaN;
    meter(cell(tr, 'tpm', '', 'bar'), used, x.limitTpm);
    cell(tr, 'rps', rate(before && seconds > 0 ? (x.requests - before.requests) / seconds : NaN));
    cell(tr, 'requests', int(x.requests));
    cell(tr, 'limited-tokens', int(x.limitedTokens));
    cell(tr, 'limited-requests', int(x.limitedRequests));
    cell(tr, 'p50', ms(x.p50));
    cell(tr, 'p99', ms(x.p99));
    cell(tr, 'ttft-p50', ms(x.ttft50));
    cell(tr, 'ttft-p99', ms(x.ttft99));
    cell(tr, 'tokens', `${int(x.prompt)} · ${int(x.completion)}`);
    fragment.append(tr);
  }
  rows.replaceChildren(fragment);
}

async function poll() {
  const key = sessionStorage.getItem(KEY);
  try {
    const res = await fetch('/metrics', { headers: key ? { 'api-key': key } : {}, cache: 'no-store' });
    if (res.status === 401) {
      $('key-form').hidden = false;
      $('key-error').textContent = key ? 'That key was refused.' : '';
      $('status').textContent = 'needs the API key';
      return;
    }
    if (!res.ok) throw new Error(`/metrics answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    $('key-form').hidden = true;
    const at = performance.now();
    const summary = summarise(parseMetrics(await res.text()));
    render(summary, previous ? (at - previous.at) / 1000 : 0);
    previous = { at, ...summary };
    document.body.dataset.polls = String(Number(document.body.dataset.polls ?? 0) + 1);
    $('status').textContent = `updated ${new Date().toLocaleTimeString()} · every ${INTERVAL_MS / 1000} s`;
  } catch (err) {
    $('status').textContent = `no data: ${err.message}`;
  } finally {
    timer = setTimeout(poll, INTERVAL_MS);
  }
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $('key').value);
  clearTimeout(timer);
  void poll();
});
filter.addEventListener('input', () => previous && render(previous, 0));
void poll();
