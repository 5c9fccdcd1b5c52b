/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for the tests: every line
 * must be a `# HELP`, a `# TYPE` or a sample of the family last declared (histograms: `_bucket`
 * with `le`, `_sum`, `_count`); label values are quoted with the format's escapes; a series may
 * appear once; a histogram's buckets must rise, end at `+Inf` and equal its `_count`. Anything
 * else throws, naming the line. (parse-prometheus-text-format, the maintained npm parser, folds
 * the series of a labelled histogram into one, so it checks the counters only: see the test.)
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: "${text}" is not a number`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`line ${line}: bad labels at "${rest}"`);
    if (m[1]! in labels) throw new Error(`line ${line}: label ${m[1]} twice`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return labels;
}

const seriesKey = (name: string, labels: Readonly<Record<string, string>>): string =>
  `${name}{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: Family | undefined;
  let pendingHelp: { name: string; help: string } | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the exposition must end with a newline');
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw === '') return;
    if (raw.startsWith('# HELP ')) {
      const [, name, help = ''] = /^# HELP (\S+) ?(.*)$/.exec(raw) ?? [];
      if (!name || !NAME.test(name)) throw new Error(`line ${line}: bad HELP`);
      pendingHelp = { name, help };
      return;
    }
    if (raw.startsWith('# TYPE ')) {
      const m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(raw);
      if (!m) throw new Error(`line ${line}: bad TYPE "${raw}"`);
      if (families.has(m[1]!)) throw new Error(`line ${line}: family ${m[1]} declared twice`);
      current = { name: m[1]!, help: pendingHelp?.name === m[1] ? pendingHelp.help : '', type: m[2] as Family['type'], samples: [] };
      families.set(current.name, current);
      return;
    }
    if (raw.startsWith('#')) return; // a comment
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)( -?\d+)?$/.exec(raw);
    if (!m) throw new Error(`line ${line}: not a sample: "${raw}"`);
    const [, name, labelText = '', valueText] = m;
    if (!current) throw new Error(`line ${line}: sample before any TYPE`);
    const allowed = current.type === 'histogram' ? [`${current.name}_bucket`, `${current.name}_sum`, `${current.name}_count`] : [current.name];
    if (!allowed.includes(name!)) throw new Error(`line ${line}: ${name} is not a sample of ${current.type} ${current.name}`);
    const labels = parseLabels(labelText, line);
    if (name!.endsWith('_bucket') && current.type === 'histogram' && labels.le === undefined) throw new Error(`line ${line}: a bucket without le`);
    const key = seriesKey(name!, labels);
    if (seen.has(key)) throw new Error(`line ${line}: series ${key} twice`);
    seen.add(key);
    current.samples.push({ name: name!, labels, value: parseValue(valueText!, line) });
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** Buckets rise with le, end at +Inf, and +Inf equals _count, for every series. */
function checkHistogram(family: Family): void {
  const bySeries = new Map<string, Sample[]>();
  for (const s of family.samples.filter((x) => x.name.endsWith('_bucket'))) {
    const { le: _le, ...rest } = s.labels;
    const key = seriesKey('', rest);
    bySeries.set(key, [...(bySeries.get(key) ?? []), s]);
  }
  for (const [key, buckets] of bySeries) {
    const sortedBuckets = [...buckets].sort((a, b) => parseValue(a.labels.le!, 0) - parseValue(b.labels.le!, 0));
    if (sortedBuckets.at(-1)!.labels.le !== '+Inf') throw new Error(`${family.name}${key}: no +Inf bucket`);
    for (let i = 1; i < sortedBuckets.length; i++) if (sortedBuckets[i]!.value < sortedBuckets[i - 1]!.value) throw new Error(`${family.name}${key}: buckets fall`);
    const count = family.samples.find((x) => x.name === `${family.name}_count` && seriesKey('', x.labels) === key);
    if (!count || count.value !== sortedBuckets.at(-1)!.value) throw new Error(`${family.name}${key}: _count is not the +Inf bucket`);
  }
}

/** The samples named `name` (a family's own name, or a histogram's `_bucket` / `_sum` / `_count`). */
export function samples(families: Map<string, Family>, name: string): Sample[] {
  for (const family of families.values()) {
    const found = family.samples.filter((s) => s.name === name);
    if (found.length > 0) return found;
  }
  return [];
}
