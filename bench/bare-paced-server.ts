/**
 * The baseline for paced streams: a bare uWebSockets.js server that answers every request with a
 * stream captured from the simulator (same head, same event bytes, same chunked framing) and
 * writes its token events on the same schedule (the head events at once, token k k·perTokenMs
 * later, the last events with the last token) — with the least a server can do for that: one
 * FIFO of due streams per thread (every stream has the same interval, so the queue stays in due
 * order), one timer armed for its head, and per due stream a cork and one write of pre-encoded
 * bytes (every token it is due, when it fell behind). Nothing the simulator does (routing, auth,
 * parsing, generating, a heap, the cursor's rendering) happens here, so the concurrent streams it holds are the ceiling for this machine,
 * this client and this event size.
 *
 * It measures its own lateness (write ran − due) into a histogram shared by its threads, answered
 * at `GET /++/stats` in the simulator's shape, so the bench reads both servers alike.
 *
 *   node dist/bench/bare-paced-server.js <port> <threads> <response-file> <per-token-ms> <tokens> <head-events>
 */
import { STATUS_CODES } from 'node:http';
import { isMainThread, workerData } from 'node:worker_threads';
import uWS from 'uWebSockets.js';
import { serveUntilStopped, startBareThreads } from './bare-threads.js';
import { readCannedResponse, type CannedResponse } from './canned-response.js';

/** Lateness histogram: 10 µs buckets up to 60 s, shared by every thread (Atomics). */
const BUCKET_MS = 0.01;
const BUCKETS = 6_000_000;

interface Data {
  port: number;
  response: CannedResponse;
  perTokenMs: number;
  tokens: number;
  headEvents: number;
  histogram: SharedArrayBuffer;
}

if (isMainThread) {
  const [port, threads, responseFile, perTokenMs, tokens, headEvents] = process.argv.slice(2);
  const response = readCannedResponse(responseFile!);
  const histogram = new SharedArrayBuffer(BUCKETS * 4);
  const data: Data = { port: Number(port), response, perTokenMs: Number(perTokenMs), tokens: Number(tokens), headEvents: Number(headEvents), histogram };
  startBareThreads(new URL(import.meta.url), Number(threads), data, 'bare paced server', Number(port));
} else {
  const { port, response, perTokenMs, tokens, headEvents, histogram } = workerData as Data;
  const counts = new Int32Array(histogram);
  const status = `${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}`;
  // The captured stream as its events: the head's, one per token, the rest with the last token.
  const events = response.body.split('\n\n').filter((e) => e.length > 0).map((e) => `${e}\n\n`);
  if (events.length < headEvents + tokens) throw new Error(`the captured stream has ${events.length} events, fewer than ${headEvents} + ${tokens}`);
  const ab = (s: string): ArrayBuffer => {
    const b = Buffer.from(s);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
  };
  const head = ab(events.slice(0, headEvents).join(''));
  // writes[t][k - 1]: tokens t … t + k − 1 in one write (the last with the stream's end events),
  // for a stream that fell behind: it catches up in one send, as the simulator's cursor does.
  const token = (t: number): string => (t === tokens - 1 ? events.slice(headEvents + t).join('') : events[headEvents + t]!);
  const writes: ArrayBuffer[][] = [];
  for (let t = 0; t < tokens; t++) {
    const runs: ArrayBuffer[] = [];
    for (let k = 1; t + k <= tokens; k++) runs.push(ab(Array.from({ length: k }, (_, i) => token(t + i)).join('')));
    writes.push(runs);
  }

  interface Stream {
    res: uWS.HttpResponse;
    next: number; // the token to write
    due: number;
    open: boolean;
  }
  // Due order: every stream is due perTokenMs after its last write's due time, so pushing at the
  // back keeps the queue sorted while no stream is late by a whole interval; one that catches up
  // several tokens at once may land earlier than the back and is inserted in place. An index over
  // a growing array, compacted now and then, is the queue.
  let queue: Stream[] = [];
  let first = 0;
  let timer: NodeJS.Timeout | undefined;
  const record = (ms: number): void => void Atomics.add(counts, Math.min(BUCKETS - 1, Math.max(0, Math.round(ms / BUCKET_MS))), 1);
  const enqueue = (s: Stream): void => {
    if (queue.length === first || queue[queue.length - 1]!.due <= s.due) return void queue.push(s);
    let lo = first;
    let hi = queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (queue[mid]!.due <= s.due) lo = mid + 1;
      else hi = mid;
    }
    queue.splice(lo, 0, s);
  };
  const arm = (): void => {
    if (timer !== undefined || first >= queue.length) return;
    timer = setTimeout(drain, Math.max(0, queue[first]!.due - performance.now()));
  };
  const drain = (): void => {
    timer = undefined;
    const horizon = performance.now() + 1;
    while (first < queue.length && queue[first]!.due <= horizon) {
      const s = queue[first++]!;
      if (!s.open) continue;
      record(performance.now() - s.due);
      const k = Math.min(tokens - s.next, Math.floor((horizon - s.due) / perTokenMs) + 1);
      const bytes = writes[s.next]![k - 1]!;
      s.next += k;
      const last = s.next === tokens;
      s.res.cork(() => {
        s.res.write(bytes);
        if (last) s.res.end();
      });
      if (last) s.open = false;
      else {
        s.due += k * perTokenMs;
        enqueue(s);
      }
    }
    if (first > 4096 && first * 2 > queue.length) {
      queue = queue.slice(first);
      first = 0;
    }
    arm();
  };

  const stats = (reset: boolean): string => {
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) total += counts[i]!;
    const at = (p: number): number => {
      const rank = Math.ceil(p * total);
      let seen = 0;
      for (let i = 0; i < BUCKETS; i++) if ((seen += counts[i]!) >= rank && counts[i]! > 0) return i * BUCKET_MS;
      return NaN;
    };
    let max = NaN;
    for (let i = BUCKETS - 1; i >= 0; i--) if (counts[i]! > 0) { max = i * BUCKET_MS; break; }
    const lateness = { count: total, p50: at(0.5), p99: at(0.99), p999: at(0.999), max };
    if (reset) counts.fill(0);
    const none = { count: 0, p50: 0, p99: 0, p999: 0, max: 0 };
    return JSON.stringify({ scheduler_lateness_ms: lateness, overhead_ms: none });
  };

  const app = uWS.App();
  app.get('/++/stats', (res, req) => {
    const body = stats(req.getQuery('reset') === 'true');
    res.cork(() => res.writeHeader('content-type', 'application/json').end(body));
  });
  app.any('/*', (res) => {
    const s: Stream = { res, next: 0, due: 0, open: true };
    res.onAborted(() => {
      s.open = false;
    });
    res.onData((_chunk, isLast) => {
      if (!isLast) return;
      const now = performance.now();
      res.cork(() => {
        res.writeStatus(status);
        for (const [name, value] of response.headers) res.writeHeader(name, value);
        res.write(head);
      });
      s.due = now + perTokenMs;
      queue.push(s);
      arm();
    });
  });
  serveUntilStopped(app, port, () => clearTimeout(timer));
}
