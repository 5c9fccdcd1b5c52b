/**
 * Serving a recorded answer with its recorded timing: a whole answer when `duration_ms` has passed
 * since the request arrived, a stream event by event at the recorded offsets. One timer per
 * exchange at a time, cancelled if the client goes away.
 */
import type { ReplayEntry } from '../core/recording-file.js';
import type { Exchange } from './exchange.js';
import { endResponse, sendRecorded, startResponse, writePart } from './respond.js';

const sinceStart = (ex: Exchange): number => performance.now() - ex.startedAt;

/**
 * `limitHeaders`: the deployment's current x-ratelimit values, which replace the recorded ones
 * (a recording's remaining budget says nothing about now).
 */
export function replay(ex: Exchange, entry: ReplayEntry, fault: (err: unknown) => void, limitHeaders?: Readonly<Record<string, string>>): void {
  const headers = limitHeaders
    ? [...entry.headers.filter(([name]) => !name.startsWith('x-ratelimit-')), ...Object.entries(limitHeaders)]
    : entry.headers;
  let timer: NodeJS.Timeout | undefined;
  ex.onAbort(() => clearTimeout(timer));
  // Timer callbacks must not throw: an exception there would end the thread.
  const later = (fn: () => void, delay: number): void => {
    timer = setTimeout(() => {
      try {
        fn();
      } catch (err) {
        fault(err);
      }
    }, Math.max(0, delay));
  };
  const { events, offsetsMs } = entry;
  if (!events || !offsetsMs) {
    later(() => sendRecorded(ex, entry.status, headers, entry.body), entry.durationMs - sinceStart(ex));
    return;
  }
  let next = 0;
  const step = (): void => {
    // The headers go with the first event, as the service sends them when its first token is ready.
    startResponse(ex, entry.status, headers);
    // Everything already due goes out in one write.
    let due = '';
    while (next < events.length && offsetsMs[next]! <= sinceStart(ex)) due += events[next++];
    if (due !== '') writePart(ex, due);
    if (next >= events.length) return endResponse(ex);
    later(step, offsetsMs[next]! - sinceStart(ex));
  };
  later(step, (offsetsMs[0] ?? 0) - sinceStart(ex));
}
