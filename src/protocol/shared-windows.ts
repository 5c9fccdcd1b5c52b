/**
 * Named rate-limit windows shared by every front-end thread, made on request while a thread runs
 * an extension's `initialize` — which is synchronous, so the thread asks the main thread and
 * waits for the answer (Atomics.wait, then receiveMessageOnPort) instead of awaiting a message.
 * The first thread to ask for a name makes its window; the others get the same memory, so "n per
 * second" holds for the whole process, as the built-in deployment limits do.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { allocateWindow } from '../core/limits/sliding-window.js';

interface WindowRequest {
  readonly name: string;
  readonly capacity: number;
  /** Int32 flag the main thread sets (and notifies) once the answer is on the port. */
  readonly signal: SharedArrayBuffer;
}

const ANSWER_TIMEOUT_MS = 10_000;

/** Main thread: answers one thread's requests from the process-wide table. */
export function serveSharedWindows(port: MessagePort, windows: Map<string, SharedArrayBuffer>): void {
  port.on('message', ({ name, capacity, signal }: WindowRequest) => {
    let buffer = windows.get(name);
    if (!buffer) {
      buffer = allocateWindow(capacity, true) as SharedArrayBuffer;
      windows.set(name, buffer);
    }
    port.postMessage({ buffer });
    const flag = new Int32Array(signal);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
  port.unref();
}

/** Front-end thread: the window of that name (blocks until the main thread answers). */
export function sharedWindow(port: MessagePort, name: string, capacity: number): SharedArrayBuffer {
  const signal = new SharedArrayBuffer(4);
  port.postMessage({ name, capacity, signal } satisfies WindowRequest);
  if (Atomics.wait(new Int32Array(signal), 0, 0, ANSWER_TIMEOUT_MS) === 'timed-out') {
    throw new Error(`no shared window "${name}" from the main thread within ${ANSWER_TIMEOUT_MS} ms`);
  }
  const answer = receiveMessageOnPort(port)?.message as { buffer: SharedArrayBuffer } | undefined;
  if (!answer) throw new Error(`shared window "${name}": no answer on the port`);
  return answer.buffer;
}
