/**
 * An ordered chain of named handlers (extension generators, forwarders): the built-in handlers
 * sit in it by name, so an extension can put its own before or after them, replace or remove them.
 */
import { SimulatorError } from '../../core/errors.js';

export interface Link<H> {
  readonly name: string;
  handler: H;
  /** Built-in handlers run the simulator's own code; extension ones are guarded. */
  readonly builtIn: boolean;
}

export class ChainError extends SimulatorError {
  override name = 'ChainError';
  readonly code = 'SIM_ERR_CHAIN';
}

export class HandlerChain<H> {
  readonly links: Link<H>[];
  #unnamed = 0;

  constructor(
    readonly kind: string,
    builtIns: readonly (readonly [string, H])[],
  ) {
    this.links = builtIns.map(([name, handler]) => ({ name, handler, builtIn: true }));
  }

  #index(name: string): number {
    const i = this.links.findIndex((l) => l.name === name);
    if (i < 0) throw new ChainError(`no ${this.kind} named "${name}" (there are: ${this.names().join(', ')})`);
    return i;
  }

  /** Default place: before the first built-in handler (after earlier extension ones). */
  add(handler: H, placement: { name?: string; before?: string; after?: string } = {}): void {
    if (typeof handler !== 'function') throw new ChainError(`${this.kind} must be a function, got ${typeof handler}`);
    const name = placement.name ?? `extension#${++this.#unnamed}`;
    if (this.links.some((l) => l.name === name)) throw new ChainError(`a ${this.kind} named "${name}" is already there`);
    let at: number;
    if (placement.before !== undefined) at = this.#index(placement.before);
    else if (placement.after !== undefined) at = this.#index(placement.after) + 1;
    else {
      const firstBuiltIn = this.links.findIndex((l) => l.builtIn);
      at = firstBuiltIn < 0 ? this.links.length : firstBuiltIn;
    }
    this.links.splice(at, 0, { name, handler, builtIn: false });
  }

  replace(name: string, handler: H): void {
    if (typeof handler !== 'function') throw new ChainError(`${this.kind} must be a function, got ${typeof handler}`);
    this.links[this.#index(name)] = { name, handler, builtIn: false };
  }

  remove(name: string): void {
    this.links.splice(this.#index(name), 1);
  }

  names(): string[] {
    return this.links.map((l) => l.name);
  }
}
