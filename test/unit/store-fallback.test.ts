/**
 * A deployment limiter on Redis when Redis is not there (a real client, pointed at a socket no
 * server listens on): every decision comes at once from the fallback mode — `local` limits with the
 * budget ÷ the live replica count, `open` admits, `closed` refuses with a 503 — each marked
 * degraded and counted; with no store configured the limiter stays the synchronous embedded one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { charge } from '../../src/core/limits/charge.js';
import { DeploymentLimiter, limitSpecFor } from '../../src/core/limits/rate-limits.js';
import { deploymentsFrom } from '../../src/core/config/deployments.js';
import { STATUS, ThreadConnection, newStatus } from '../../src/state/redis.js';
import { RedisWindows } from '../../src/state/thread-windows.js';

const nowhere = join(mkdtempSync(join(tmpdir(), 'no-redis-')), 'absent.sock');
const quiet = { warn: () => undefined, info: () => undefined };
const opened: ThreadConnection[] = [];
afterAll(async () => {
  await Promise.all(opened.map((w) => w.close()));
});

const deployment = deploymentsFrom({ d: { model: 'gpt-4o', tokensPerMinute: 10_000, requestsPerMinute: 0, embeddingSize: 0 } }).get('d')!;

async function limiterIn(mode: 'local' | 'open' | 'closed', replicas: number): Promise<{ limiter: DeploymentLimiter; status: Int32Array }> {
  const status = newStatus();
  const view = new Int32Array(status);
  view[STATUS.replicas] = replicas;
  const connection = new ThreadConnection(nowhere);
  const remote = new RedisWindows(connection, { mode, timeoutMs: 50, status }, quiet);
  opened.push(connection);
  await connection.connect(200); // fails: nothing listens there
  return { limiter: new DeploymentLimiter({ ...limitSpecFor(deployment)!, key: 'test{w:d:1}' }, remote), status: view };
}

describe('the limiter when Redis is gone', () => {
  it('local: limits here with the budget ÷ live replicas, synchronously, marked degraded and counted', async () => {
    const { limiter, status } = await limiterIn('local', 2);
    const answers = Array.from({ length: 8 }, () => charge(limiter, 1_000, 'chat', 'api-version=2024-10-21'));
    for (const a of answers) expect(a).not.toBeInstanceOf(Promise); // no waiting for a store that is gone
    const settled = answers as Exclude<(typeof answers)[number], Promise<unknown>>[];
    expect(settled.filter((a) => a.allowed)).toHaveLength(5); // 5,000 tokens, 5 requests / 10 s per replica
    for (const a of settled) {
      const headers = a.allowed ? a.headers : a.error.headers!;
      expect(headers['x-simulator-limits']).toBe('degraded');
    }
    const refused = settled.find((a) => !a.allowed)!;
    expect(!refused.allowed && refused.error.status).toBe(429);
    expect(status[STATUS.degraded]).toBe(8);
  });

  it('open admits everything; closed answers 503', async () => {
    const open = (await limiterIn('open', 3)).limiter;
    const admitted = Array.from({ length: 30 }, () => charge(open, 1_000, 'chat', ''));
    expect(admitted.every((a) => !(a instanceof Promise) && a.allowed)).toBe(true);
    const closed = (await limiterIn('closed', 3)).limiter;
    const refused = charge(closed, 10, 'chat', '');
    expect(refused).not.toBeInstanceOf(Promise);
    expect(!(refused instanceof Promise) && !refused.allowed && refused.error.status).toBe(503);
  });

  it('without a store key the limiter is the embedded one (synchronous, no header)', () => {
    const limiter = new DeploymentLimiter(limitSpecFor(deployment)!);
    const a = charge(limiter, 1_000, 'chat', '');
    expect(a).not.toBeInstanceOf(Promise);
    expect(!(a instanceof Promise) && a.allowed && a.headers['x-simulator-limits']).toBeUndefined();
  });
});
