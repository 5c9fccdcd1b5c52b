/**
 * The k6 scripts (bench/k6) run in k6, which is not installable here, so they are at least
 * type-checked against @types/k6 with their own tsconfig: a script that calls k6 wrongly fails
 * this test instead of failing at the start of a large load test.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const K6_DIR = fileURLToPath(new URL('../../bench/k6', import.meta.url));

/** Type errors of bench/k6, plus `extra` in-memory scripts checked as if they were in that folder. */
function k6Diagnostics(extra: Readonly<Record<string, string>> = {}): string[] {
  const configFile = join(K6_DIR, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile);
  if (error) return [ts.flattenDiagnosticMessageText(error.messageText, '\n')];
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configFile));
  const virtual = new Map(Object.entries(extra).map(([name, text]) => [join(K6_DIR, name), text]));
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => {
    const text = virtual.get(name);
    return text === undefined ? getSourceFile(name, version, ...rest) : ts.createSourceFile(name, text, version);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  const program = ts.createProgram({ rootNames: [...parsed.fileNames, ...virtual.keys()], options: parsed.options, host });
  return [...parsed.errors, ...ts.getPreEmitDiagnostics(program)].map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}

describe('k6 scripts', () => {
  it('has the chat, streaming and mixed-deployment scripts', () => {
    const names = ts.sys.readDirectory(K6_DIR, ['.ts']).map((f) => f.slice(K6_DIR.length + 1)).sort();
    expect(names).toEqual(expect.arrayContaining(['chat.ts', 'mixed.ts', 'streaming.ts']));
  });

  it('type-check against @types/k6', () => {
    expect(k6Diagnostics()).toEqual([]);
  });

  it('would fail on a script that calls k6 wrongly', () => {
    const broken = "import http from 'k6/http';\nexport default function (): void {\n  http.post(42, { not: 'a body' }, 'not params');\n}\n";
    expect(k6Diagnostics({ 'broken.ts': broken }).some((d) => d.includes('broken.ts'))).toBe(true);
  });
});
