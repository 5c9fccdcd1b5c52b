import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HandlerChain } from '../../src/front-end/extensions/chain.js';
import { compilePathPattern } from '../../src/core/wire/route-pattern.js';

describe('extension path patterns', () => {
  it('matches {name} placeholders inside segments and decodes them', () => {
    const match = compilePathPattern('/formrecognizer/documentModels/{modelId}:analyze');
    expect(match('/formrecognizer/documentModels/prebuilt-receipt:analyze')).toEqual({ modelId: 'prebuilt-receipt' });
    expect(match('/formrecognizer/documentModels/a%20b:analyze')).toEqual({ modelId: 'a b' });
    expect(match('//formrecognizer//documentModels/x:analyze/')).toEqual({ modelId: 'x' });
    expect(match('/formrecognizer/documentModels/x/y:analyze')).toBeUndefined();
    expect(match('/formrecognizer/documentModels/x:analyzeX')).toBeUndefined();
    expect(compilePathPattern('/a.b/{x}')('/aXb/1')).toBeUndefined(); // literal characters are literal
  });
});

describe('handler chains', () => {
  const chain = () => new HandlerChain<() => string>('generator', [['chat', () => 'chat'], ['embeddings', () => 'embeddings']]);

  it('puts extension handlers before the built-ins by default, in the order added', () => {
    const c = chain();
    c.add(() => 'a');
    c.add(() => 'b', { name: 'b' });
    expect(c.names()).toEqual(['extension#1', 'b', 'chat', 'embeddings']);
  });

  it('places, replaces and removes by name, and names what is wrong', () => {
    const c = chain();
    c.add(() => 'late', { name: 'late', after: 'embeddings' });
    c.add(() => 'mid', { name: 'mid', before: 'embeddings' });
    c.replace('chat', () => 'mine');
    c.remove('embeddings');
    expect(c.names()).toEqual(['chat', 'mid', 'late']);
    expect(c.links[0]!.builtIn).toBe(false);
    expect(c.links[0]!.handler()).toBe('mine');
    expect(() => c.replace('nope', () => '')).toThrow('no generator named "nope" (there are: chat, mid, late)');
    expect(() => c.add(() => '', { name: 'mid' })).toThrow('already there');
    expect(() => c.add('x' as never)).toThrow('must be a function');
  });
});

describe('the extension types', () => {
  it('type-check the examples through the package export aoai-simulated-api/extension', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    // global-setup has built dist/, which package.json "exports" points the types at.
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'examples/tsconfig.json'], { cwd: root, stdio: 'pipe' });
  });
});
