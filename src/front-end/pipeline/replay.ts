/**
 * Serving a recorded answer with its recorded timing: a whole answer when `duration_ms` has passed
 * since the request arrived, a stream event by event at the recorded offsets. The waits run on the
 * thread's one scheduler, like generated latency; a step finds the exchange gone if the client
 * went away, and stops.
 */
import type { ReplayEntry } from '../../core/recording/recording-file.js';
import type { Exchange } from '../http/exchange.js';
import { endResponse, sendRecorded, startResponse, writePart } from '../http/respond.js';
import type { Scheduler } from '../scheduler.js';

/**
 * `limitHeaders`: the deployment's current x-ratelimit values, which replace the recorded ones
 * (a recording's remaining budget says nothing about now).
 */
export function replay(scheduler: Scheduler, ex: Exchange, entry: ReplayEntry, limitHeaders?: Readonly<Record<string, string>>, targetMs?: number): void {
  const headers = limitHeaders
    ? [...entry.headers.filter(([name]) => !name.startsWith('x-ratelimit-')), ...Object.entries(limitHeaders)]
    : entry.headers;
  ex.ready();
  const { events } = entry;
  let { offsetsMs } = entry;
  // An extension's latency hook may set another duration: a stream's offsets scale with it.
  if (targetMs !== undefined && offsetsMs) {
    const f = entry.durationMs > 0 ? targetMs / entry.durationMs : 0;
    offsetsMs = offsetsMs.map((o) => (f > 0 ? o * f : targetMs));
  }
  if (!events || !offsetsMs) {
    const due = ex.startedAt + (targetMs ?? entry.durationMs);
    const send = (): void => sendRecorded(ex, entry.status, headers, entry.body);
    // Already due (a fast recording, or timing turned off): no trip through the timer.
    if (due <= performance.now() + 1) return send();
    scheduler.at(due, send);
    return;
  }
  let next = 0;
  const step = (): void => {
    if (ex.state === 'aborted') return;
    // The headers go with the first event, as the service sends them when its first token is ready.
    startResponse(ex, entry.status, headers);
    // Everything already due goes out in one write.
    const elapsed = performance.now() + 1 - ex.startedAt;
    let due = '';
    while (next < events.length && offsetsMs[next]! <= elapsed) due += events[next++];
    if (due !== '') writePart(ex, due);
    if (next >= events.length) return endResponse(ex);
    scheduler.at(ex.startedAt + offsetsMs[next]!, step);
  };
  scheduler.at(ex.startedAt + (offsetsMs[0] ?? 0), step);
}
