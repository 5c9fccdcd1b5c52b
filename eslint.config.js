// Lint for aoai-simulated-api: typescript-eslint's recommended rules, import cycles, and the
// dependency rules of docs/architecture.md ("Dependency rules") as no-restricted-imports, so an
// editor shows a wrong-way import as it is typed. test/unit/architecture.test.ts checks the same
// rules on the whole graph (type-only imports included) and lists the offending edges.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** `no-restricted-imports` patterns: `group` globs a module must not import, with why. */
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const only = (message, group) => ({ group, message });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'bench/k6/**', 'tiktoken_cache/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    settings: {
      // `./x.js` in an import means `./x.ts` here: resolve and parse as TypeScript does.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      // `_`-prefixed names are deliberately unused (a callback's position, a destructured rest).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // The code keeps `!` where the type system cannot see an invariant; each is local and explained.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: restrict(
      only('core/ is pure: it imports only core/ (docs/architecture.md, "Dependency rules")', ['../../protocol/*', '../../process/*', '../../front-end/**', '../../workers/*', '../../log.js', '../protocol/*', '../process/*', '../front-end/**', '../workers/*', '../log.js']),
      only('core/ is pure: no I/O, threads or network', ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:worker_threads', 'node:child_process', 'uWebSockets.js', 'piscina']),
    ),
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: restrict(only('protocol/ imports only core/ and protocol/', ['../process/*', '../front-end/**', '../workers/*', 'uWebSockets.js', 'piscina'])),
  },
  {
    files: ['src/workers/**/*.ts'],
    rules: restrict(only('workers/ import only core/ and protocol/', ['../process/*', '../front-end/**', 'uWebSockets.js'])),
  },
  {
    files: ['src/process/**/*.ts', 'src/main.ts'],
    rules: restrict(
      only('the main thread never imports front-end or worker code (it starts them by URL)', ['../front-end/**', './front-end/**', '../workers/*', './workers/*']),
      // uWebSockets.js/build is allowed: main asks it once which build loads, to stop with one line.
      { regex: '^uWebSockets\\.js$', message: 'the main thread never imports uWebSockets.js (only uWebSockets.js/build, to check at start)' },
    ),
  },
  {
    // packages/uWebSockets.js: a CommonJS package for Node (it loads the native builds with require).
    files: ['packages/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/front-end/**/*.ts'],
    ignores: ['src/front-end/http/**'],
    rules: restrict(
      only('only front-end/http imports uWebSockets.js', ['uWebSockets.js']),
      only('front-end code never imports main-thread or worker code', ['../process/*', '../../process/*', '../workers/*', '../../workers/*']),
    ),
  },
  {
    files: ['src/front-end/pipeline/**/*.ts'],
    rules: restrict(
      only('front-end/pipeline never imports front-end/extensions: extensions plug into its stage slots', ['../extensions/*']),
      only('only front-end/http imports uWebSockets.js', ['uWebSockets.js']),
      only('front-end code never imports main-thread or worker code', ['../../process/*', '../../workers/*']),
    ),
  },
  {
    files: ['src/front-end/http/**/*.ts'],
    rules: restrict(only('front-end/http is the bottom of the front end: it imports no pipeline, extension or thread code', ['../pipeline/*', '../extensions/*', '../thread.js'])),
  },
  {
    // Tests reach into answers of any shape; `any` there is the honest type.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
