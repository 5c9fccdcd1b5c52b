/**
 * The response sink's state machine on the fake uWS (which throws where uWS would abort the
 * process), and replay pacing on the scheduler's manual clock.
 */
import { describe, expect, it } from 'vitest';
import { errors } from '../../src/core/errors.js';
import type { ReplayEntry } from '../../src/core/recording/recording-file.js';
import { PLAIN_SINK, sendError, sendJson } from '../../src/front-end/http/respond.js';
import type { StreamAnswer } from '../../src/core/generation/answer.js';
import { composedPlan } from '../../src/core/generation/token-events.js';
import { write } from '../../src/front-end/pipeline/pace.js';
import { replay } from '../../src/front-end/pipeline/replay.js';
import { fakeExchange } from '../helpers/fake-uws.js';
import { testThread } from '../helpers/front-end.js';

const open = () => {
  const { ctx, clock } = testThread();
  return { ctx, clock, ...fakeExchange({ url: '/x', headers: {} }, ctx) };
};

describe('the response sink', () => {
  it('writes a whole answer in one cork: status, content type, both ids, own headers, one end', () => {
    const { ex, res } = open();
    sendJson(ex, 200, '{"a":1}', { 'x-ratelimit-remaining-tokens': '9' });
    expect(res.corks).toBe(1);
    expect(res.status).toBe('200 OK');
    expect(res.headers).toEqual([
      ['content-type', 'application/json'],
      ['x-request-id', ex.requestId],
      ['apim-request-id', ex.requestId],
      ['x-ratelimit-remaining-tokens', '9'],
    ]);
    expect(res.body).toBe('{"a":1}');
    expect(ex.state).toBe('ended');
  });

  it('ignores every write after the end or after the client went away (uWS would abort)', () => {
    const { ex, res } = open();
    sendError(ex, errors.routeNotFound());
    expect(res.statusCode).toBe(404);
    sendJson(ex, 200, '{}'); // the fake throws if this touches the response
    expect(PLAIN_SINK.start(ex, 200, 'text/plain')).toBe(false);
    PLAIN_SINK.data(ex, 'x');
    PLAIN_SINK.end(ex);
    PLAIN_SINK.abandon(ex);

    const gone = open();
    gone.res.abort();
    sendJson(gone.ex, 200, '{}');
    expect(gone.res.status).toBeUndefined();
    expect(gone.ex.state).toBe('aborted');
  });

  it('streams: start → data → end, and abandon cuts a started stream', () => {
    const { ex, res } = open();
    expect(PLAIN_SINK.start(ex, 200, 'text/event-stream')).toBe(true);
    expect(ex.state).toBe('streaming');
    expect(PLAIN_SINK.start(ex, 200, 'text/event-stream')).toBe(false); // one head only
    PLAIN_SINK.data(ex, 'data: 1\n\n');
    PLAIN_SINK.end(ex);
    expect(res.ended).toBe(true);
    expect(res.body).toBe('data: 1\n\n');

    const cut = open();
    PLAIN_SINK.abandon(cut.ex); // nothing started: nothing to cut
    expect(cut.res.closed).toBe(false);
    PLAIN_SINK.start(cut.ex, 200, 'text/event-stream');
    PLAIN_SINK.abandon(cut.ex);
    expect(cut.res.closed).toBe(true);
  });

  it('writes foreign headers as they are, without a second content-length or id', () => {
    const { ex, res } = open();
    PLAIN_SINK.whole(ex, 201, undefined, 'ok', [
      ['content-type', 'text/plain'],
      ['content-length', '2'],
      ['x-request-id', 'upstream-id'],
    ]);
    expect(res.statusCode).toBe(201);
    expect(res.headers).toEqual([
      ['apim-request-id', ex.requestId],
      ['content-type', 'text/plain'],
      ['x-request-id', 'upstream-id'],
    ]);
  });

  it('pulls events only while the socket takes them, and resumes when it drains', () => {
    const { ex, res, ctx } = open();
    // 100 events of ~1 KB: about seven chunks of 16 KiB.
    const events = Array.from({ length: 100 }, (_, i) => `data: ${String(i).padEnd(1000, '.')}\n\n`);
    const answer: StreamAnswer = { kind: 'stream', head: [], tokens: composedPlan([events]), tail: ['data: [DONE]\n\n'], choices: 1, promptTokens: 1, completionTokens: 100 };
    res.writable = false; // full after the first write
    write(ctx, ex, answer);
    expect(res.chunks).toHaveLength(1);
    expect(res.chunks[0]!.length).toBeLessThan(20_000);
    expect(res.header('cache-control')).toBe('no-cache');
    res.drain();
    expect(res.ended).toBe(true);
    expect(res.chunks.length).toBeGreaterThan(5);
    expect(res.body).toBe(events.join('') + 'data: [DONE]\n\n');
  });
});

describe('replay pacing on a manual clock', () => {
  const entry: ReplayEntry = {
    key: 'k',
    file: 'f.yaml',
    status: 200,
    headers: [['content-type', 'text/event-stream']],
    body: 'data: a\n\ndata: b\n\ndata: [DONE]\n\n',
    durationMs: 300,
    events: ['data: a\n\n', 'data: b\n\n', 'data: [DONE]\n\n'],
    offsetsMs: [100, 200, 300],
  };

  it('sends each recorded event at its offset from the arrival, the head with the first', () => {
    const { ctx, clock, ex, res } = open();
    replay(ctx, ex, entry, { 'x-ratelimit-remaining-requests': '5' });
    clock.advance(99);
    expect(res.status).toBeUndefined();
    clock.advance(1);
    expect(res.statusCode).toBe(200);
    expect(res.header('x-ratelimit-remaining-requests')).toBe('5');
    expect(res.body).toBe('data: a\n\n');
    clock.advance(100);
    expect(res.body).toBe('data: a\n\ndata: b\n\n');
    expect(res.ended).toBe(false);
    clock.advance(100);
    expect(res.ended).toBe(true);
    expect(res.body).toBe(entry.body);
  });

  it('scales the offsets to a latency hook’s target duration, and sends a whole answer at its duration', () => {
    const { ctx, clock, ex, res } = open();
    replay(ctx, ex, entry, undefined, 30); // a tenth of the recorded timing
    clock.advance(10);
    expect(res.body).toBe('data: a\n\n');
    clock.advance(20);
    expect(res.ended).toBe(true);

    const whole = open();
    replay(whole.ctx, whole.ex, { ...entry, events: undefined, offsetsMs: undefined, headers: [['content-type', 'application/json']], body: '{}' });
    whole.clock.advance(299);
    expect(whole.res.status).toBeUndefined();
    whole.clock.advance(1);
    expect(whole.res.body).toBe('{}');
  });

  it('stops when the client goes away mid-stream (no write to the aborted response)', () => {
    const { ctx, clock, ex, res } = open();
    replay(ctx, ex, entry);
    clock.advance(100);
    res.abort();
    clock.advance(500); // the fake throws if a step writes
    expect(ctx.scheduler.size).toBe(0);
  });
});
