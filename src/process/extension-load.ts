/**
 * Finding and preparing the module EXTENSION_PATH names, once, in the main thread: a JavaScript
 * file is imported as it is; a TypeScript one (and the sibling files it imports) is bundled by
 * esbuild into one temporary ES module first, so a TypeScript extension needs no build step of
 * its own. Every front-end thread then imports the prepared module and runs its `initialize`.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StartupError } from '../core/errors.js';
import type { PreparedExtension } from '../protocol/messages.js';

export type { PreparedExtension } from '../protocol/messages.js';

const INDEX_FILES = ['index.ts', 'index.mts', 'index.js', 'index.mjs'];
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);
const JAVASCRIPT = new Set(['.js', '.mjs', '.cjs']);

/** The package's own extension API module: what `import … from 'aoai-simulated-api/extension'` means. */
const API_MODULE = fileURLToPath(new URL('../extension-api.js', import.meta.url));

function entryFile(path: string): string {
  const full = resolve(path);
  if (!existsSync(full)) throw new StartupError(`EXTENSION_PATH: ${full} does not exist`);
  if (!statSync(full).isDirectory()) return full;
  const index = INDEX_FILES.map((f) => join(full, f)).find((f) => existsSync(f));
  if (!index) throw new StartupError(`EXTENSION_PATH: the folder ${full} has no ${INDEX_FILES.join(', ')}`);
  return index;
}

export async function prepareExtension(path: string): Promise<PreparedExtension> {
  const source = entryFile(path);
  const full = resolve(path);
  const name = statSync(full).isDirectory() ? basename(full) : basename(full, extname(full));
  const ext = extname(source).toLowerCase();
  if (JAVASCRIPT.has(ext)) return { name, source, url: pathToFileURL(source).href };
  if (!TYPESCRIPT.has(ext)) throw new StartupError(`EXTENSION_PATH: ${source} is not a JavaScript or TypeScript module (.js, .mjs, .ts, .mts)`);
  return { name, source, url: await bundle(source, name) };
}

/** esbuild is loaded only when a TypeScript extension is, so other starts do not pay for it. */
async function bundle(source: string, name: string): Promise<string> {
  const esbuild = await import('esbuild');
  let code: string;
  try {
    const result = await esbuild.build({
      entryPoints: [source],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      sourcemap: 'inline',
      // Packages the extension imports are bundled too (the output lives in a temporary folder
      // where they would not resolve); CommonJS ones get a `require` that resolves beside it.
      banner: { js: `import { createRequire as __aoaiCreateRequire } from 'node:module'; const require = __aoaiCreateRequire(${JSON.stringify(source)});` },
      plugins: [
        {
          name: 'aoai-simulated-api',
          setup(build) {
            build.onResolve({ filter: /^aoai-simulated-api(\/extension)?$/ }, () => ({ path: pathToFileURL(API_MODULE).href, external: true }));
          },
        },
      ],
    });
    code = result.outputFiles[0]!.text;
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line}:${first.location.column})` : '';
    throw new StartupError(`EXTENSION_PATH: ${source} does not compile: ${first?.text ?? (err as Error).message}${where}`);
  } finally {
    await esbuild.stop();
  }
  const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-extension-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, code);
  return pathToFileURL(file).href;
}
