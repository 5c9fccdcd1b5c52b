import { describe, it, expect } from 'vitest';
import { Router } from '../../src/core/wire/router.js';
import { routes, type Route } from '../../src/core/wire/routes.js';

const router = new Router<Route>(routes);

function matched(method: string, path: string) {
  const r = router.match(method, path);
  if (r.kind !== 'match') throw new Error(`expected a match for ${method} ${path}, got ${r.kind}`);
  return r.match;
}

describe('Router over the route table', () => {
  it('deployment routes give params.deployment and the operation', () => {
    const cases: Array<[string, string]> = [
      ['/openai/deployments/my-dep/chat/completions', 'chat'],
      ['/openai/deployments/my-dep/completions', 'completions'],
      ['/openai/deployments/my-dep/embeddings', 'embeddings'],
    ];
    for (const [path, operation] of cases) {
      const m = matched('POST', path);
      expect(m.params.deployment).toBe('my-dep');
      expect(m.route.kind).toBe('api');
      if (m.route.kind === 'api') {
        expect(m.route.operation).toBe(operation);
        expect(m.route.deploymentFrom).toBe('path');
      }
    }
  });

  it('collapses runs of slashes', () => {
    const m = matched('POST', '//openai//deployments/x/chat/completions');
    expect(m.params.deployment).toBe('x');
    expect(m.route.kind === 'api' && m.route.operation).toBe('chat');
  });

  it('GET on a POST route → wrong-method allowing POST', () => {
    expect(router.match('GET', '/openai/deployments/x/chat/completions')).toEqual({ kind: 'wrong-method', allowed: ['POST'] });
    expect(router.match('POST', '/')).toEqual({ kind: 'wrong-method', allowed: ['GET'] });
  });

  it('unknown paths → none', () => {
    expect(router.match('POST', '/openai/deployments/x/images')).toEqual({ kind: 'none' });
    expect(router.match('POST', '/openai/chat/completions')).toEqual({ kind: 'none' });
    expect(router.match('POST', '/openai/deployments/x/chat/completions/extra')).toEqual({ kind: 'none' });
    expect(router.match('GET', '/nothing/here')).toEqual({ kind: 'none' });
  });

  it('a deployment named like an operation is still a deployment', () => {
    const m = matched('POST', '/openai/deployments/chat/completions');
    expect(m.params.deployment).toBe('chat');
    expect(m.route.kind === 'api' && m.route.operation).toBe('completions');
  });

  it('the health route matches GET /', () => {
    expect(matched('GET', '/').route.kind).toBe('health');
  });

  it('v1 routes take the deployment from the body', () => {
    const cases: Array<[string, string]> = [
      ['/v1/chat/completions', 'chat'],
      ['/openai/v1/embeddings', 'embeddings'],
      ['/openai/v1/chat/completions', 'chat'],
      ['/v1/completions', 'completions'],
    ];
    for (const [path, operation] of cases) {
      const m = matched('POST', path);
      expect(m.route.kind).toBe('api');
      if (m.route.kind === 'api') {
        expect(m.route.deploymentFrom).toBe('body');
        expect(m.route.operation).toBe(operation);
      }
      expect(m.params).toEqual({});
    }
  });

  it('decodes percent escapes, and takes a malformed one literally without throwing', () => {
    expect(matched('POST', '/openai/deployments/my%20dep/embeddings').params.deployment).toBe('my dep');
    let m: ReturnType<typeof matched> | undefined;
    expect(() => {
      m = matched('POST', '/openai/deployments/bad%E0%A4%A/chat/completions');
    }).not.toThrow();
    expect(m!.params.deployment).toBe('bad%E0%A4%A');
    expect(matched('POST', '/openai/deployments/%/embeddings').params.deployment).toBe('%');
  });
});

describe('Router (own table)', () => {
  it('lists every method allowed on a path', () => {
    const r = new Router([
      { method: 'get', pattern: '/a/:id' },
      { method: 'PUT', pattern: '/a/:id' },
    ]);
    expect(r.match('DELETE', '/a/1')).toEqual({ kind: 'wrong-method', allowed: ['GET', 'PUT'] });
    const ok = r.match('GET', '/a/1');
    expect(ok.kind).toBe('match');
    if (ok.kind === 'match') expect(ok.match.params).toEqual({ id: '1' });
  });
});
