/**
 * Serving a recorded answer with its recorded timing: a whole answer when `duration_ms` has passed
 * since the request arrived, a stream event by event at the recorded offsets. One timer per
 * exchange at a time, cancelled if the client goes away.
 */
import type { ReplayEntry } from '../core/recording-file.js';
import type { Exchange } from './exchange.js';
import { endResponse, sendRecorded, startResponse, writePart } from './respond.js';

const sinceStart = (ex: Exchange): number => performance.now() - ex.startedAt;

export function replay(ex: Exchange, entry: ReplayEntry): void {
  let timer: NodeJS.Timeout | undefined;
  ex.onAbort(() => clearTimeout(timer));
  const { events, offsetsMs } = entry;
  if (!events || !offsetsMs) {
    timer = setTimeout(() => sendRecorded(ex, entry.status, entry.headers, entry.body), Math.max(0, entry.durationMs - sinceStart(ex)));
    return;
  }
  startResponse(ex, entry.status, entry.headers);
  let next = 0;
  const step = (): void => {
    // Everything already due goes out in one write.
    let due = '';
    while (next < events.length && offsetsMs[next]! <= sinceStart(ex)) due += events[next++];
    if (due !== '') writePart(ex, due);
    if (next >= events.length) return endResponse(ex);
    timer = setTimeout(step, Math.max(0, offsetsMs[next]! - sinceStart(ex)));
  };
  step();
}
