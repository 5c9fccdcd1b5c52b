/**
 * Main's side of a question put to every front-end thread: the answers are collected under one id
 * and handed over once each thread has answered. Main uses it to apply configuration everywhere
 * before acknowledging a PATCH, to merge statistics, and to make sure every thread's recordings
 * have arrived before saving.
 */
export class Gatherings<T> {
  readonly #open = new Map<number, { readonly items: T[]; remaining: number; readonly done: (items: T[]) => void }>();
  #next = 0;

  /** Opens a gathering of `count` answers; returns the id the threads must answer with. */
  open(count: number, done: (items: T[]) => void): number {
    const id = this.#next++;
    this.#open.set(id, { items: [], remaining: count, done });
    return id;
  }

  /** A thread's answer; the last one closes the gathering. Unknown ids (a restarted thread's) are dropped. */
  add(id: number, item: T): void {
    const gathering = this.#open.get(id);
    if (!gathering) return;
    gathering.items.push(item);
    if (--gathering.remaining > 0) return;
    this.#open.delete(id);
    gathering.done(gathering.items);
  }
}
