/**
 * The direction of dependency (docs/architecture.md, "Dependency rules"), checked on the imports
 * of every file in src/: no import cycle, and no edge a rule forbids. Type-only imports count —
 * they tie modules together just the same. A failure lists the offending edges.
 *
 *   core ← protocol ← { process, workers, front-end }
 *   inside front-end: http ← pipeline ← extensions ← thread.ts
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One import: `from` (a src/ file) imports `to` (a src/ file, or a package / node: name). */
interface Edge {
  readonly from: string;
  readonly to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every import, export-from and dynamic import of src/, resolved to src/ paths or package names. */
function importEdges(root = ROOT): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    const from = relative(root, file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      const to = fileName.startsWith('.') ? relative(root, resolve(dirname(file), fileName)).replace(/\.js$/, '.ts') : packageName(fileName);
      edges.push({ from, to });
    }
  }
  return edges;
}

/** Subpaths that are a module of their own, not their package: uWebSockets.js/build only says which
 * uWebSockets.js build loads here (main asks it once at start), it starts no server. */
const OWN_MODULES = new Set(['uWebSockets.js/build']);

/** `js-tiktoken/ranks/o200k_base` → `js-tiktoken`; `@scope/pkg/x` → `@scope/pkg`; `node:fs` stays. */
function packageName(spec: string): string {
  if (OWN_MODULES.has(spec)) return spec;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const isSource = (to: string): boolean => to.startsWith('src/');
const under = (prefix: string) => (path: string): boolean => path.startsWith(prefix);
const show = (edges: readonly Edge[]): string[] => edges.map((e) => `${e.from} → ${e.to}`);

const edges = importEdges();

/** The edges inside import cycles: Tarjan's strongly connected components of the src/ graph. */
function cycleEdges(graph: readonly Edge[]): Edge[] {
  const next = new Map<string, string[]>();
  for (const { from, to } of graph) if (isSource(to)) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const component = new Map<string, number>();
  let counter = 0;
  let components = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.set(w, components);
      } while (w !== v);
      components++;
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return graph.filter((e) => isSource(e.to) && (e.from === e.to || component.get(e.from) === component.get(e.to)));
}

interface Rule {
  readonly name: string;
  /** The files the rule is about. */
  readonly files: (path: string) => boolean;
  /** What they must not import (a src/ path or a package name). */
  readonly forbidden: (to: string) => boolean;
}

// node:zlib: the generated images' PNGs (core/generation/png.ts), deflated in memory like a hash.
// node:module: createRequire only, to load js-tiktoken's rank data on demand (core/tokens/tokenizer.ts).
const CORE_PACKAGES = new Set(['node:crypto', 'node:module', 'node:zlib', 'js-yaml', 'js-tiktoken']);
const inCore = under('src/core/');
const inProtocol = under('src/protocol/');
const inFrontEnd = under('src/front-end/');
const inProcess = (p: string): boolean => p.startsWith('src/process/') || p === 'src/main.ts';

const RULES: readonly Rule[] = [
  { name: 'core imports only core (and pure packages)', files: inCore, forbidden: (to) => (isSource(to) ? !inCore(to) : !CORE_PACKAGES.has(to)) },
  {
    name: 'protocol imports only core and protocol',
    files: inProtocol,
    forbidden: (to) => (isSource(to) ? !inCore(to) && !inProtocol(to) : !['node:worker_threads', 'hdr-histogram-js'].includes(to)),
  },
  { name: 'workers import only core and protocol', files: under('src/workers/'), forbidden: (to) => isSource(to) && !inCore(to) && !inProtocol(to) },
  { name: 'the main thread never imports front-end or worker code', files: inProcess, forbidden: (to) => inFrontEnd(to) || to.startsWith('src/workers/') },
  { name: 'front-end never imports main-thread or worker code', files: inFrontEnd, forbidden: (to) => inProcess(to) || to.startsWith('src/workers/') },
  { name: 'front-end/pipeline never imports front-end/extensions', files: under('src/front-end/pipeline/'), forbidden: under('src/front-end/extensions/') },
  {
    name: 'front-end/http imports nothing above it (pipeline, extensions, the thread)',
    files: under('src/front-end/http/'),
    forbidden: (to) => to.startsWith('src/front-end/pipeline/') || to.startsWith('src/front-end/extensions/') || to === 'src/front-end/thread.ts',
  },
  { name: 'nothing imports the front-end thread entry (it is started, not imported)', files: () => true, forbidden: (to) => to === 'src/front-end/thread.ts' },
  { name: 'only front-end/http imports uWebSockets.js', files: (p) => !p.startsWith('src/front-end/http/'), forbidden: (to) => to === 'uWebSockets.js' },
  { name: 'the public extension API imports only core types', files: (p) => p === 'src/extension-api.ts', forbidden: (to) => isSource(to) && !inCore(to) },
  { name: 'the log (every thread) imports only core', files: (p) => p === 'src/log.ts', forbidden: (to) => isSource(to) && !inCore(to) },
];

describe('dependency direction', () => {
  it('finds the imports (the parser sees every file)', () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges).toContainEqual({ from: 'src/main.ts', to: 'src/process/cluster.ts' });
    expect(edges).toContainEqual({ from: 'src/front-end/http/exchange.ts', to: 'uWebSockets.js' });
  });

  it('has no import cycle in src/', () => {
    expect(show(cycleEdges(edges))).toEqual([]);
  });

  it('detects a cycle when there is one (the checker itself)', () => {
    const made: Edge[] = [
      { from: 'src/a.ts', to: 'src/b.ts' },
      { from: 'src/b.ts', to: 'src/c.ts' },
      { from: 'src/c.ts', to: 'src/a.ts' },
      { from: 'src/c.ts', to: 'src/d.ts' },
    ];
    expect(show(cycleEdges(made))).toEqual(['src/a.ts → src/b.ts', 'src/b.ts → src/c.ts', 'src/c.ts → src/a.ts']);
  });

  for (const rule of RULES) {
    it(rule.name, () => {
      expect(show(edges.filter((e) => rule.files(e.from) && rule.forbidden(e.to)))).toEqual([]);
    });
  }

});
