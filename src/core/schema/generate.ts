/**
 * A value for a JSON Schema: what a model's tool arguments and structured answers are made of.
 *
 * Written here rather than taken from json-schema-faker because this runs on the request path
 * (every tool call, every json_schema answer) and needs only what models are asked for: types
 * (one or several, `nullable`), `const`/`enum`, objects with `properties` in schema order (the
 * service keeps that order) and `required`, arrays with `items`/`prefixItems` and item counts,
 * `anyOf`/`oneOf` (one branch), `allOf` (merged), `$ref` into `$defs`/`definitions` or `#`
 * (recursion), number bounds and `multipleOf`, string lengths and the cheap formats. Recursion is
 * bounded: past `maxDepth`, optional properties are left out, arrays take their minimum length,
 * nullable values become null and the branch of an `anyOf` that does not recurse is preferred.
 * `pattern` is not honoured (a regex has no cheap inverse); everything else validates.
 */
import type { Random } from '../generation/lorem.js';

export type JsonSchema = boolean | { readonly [key: string]: unknown };
type SchemaObject = { readonly [key: string]: unknown };

export interface ValueOptions {
  readonly random: Random;
  /** Nesting past which the generator heads for the shortest valid value (default 4). */
  readonly maxDepth?: number;
  /** Include optional properties (non-strict schemas); default true, with probability 0.7. */
  readonly optionalProperties?: boolean;
}

const WORDS = [
  'lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit', 'sed', 'do', 'eiusmod', 'tempor',
  'incididunt', 'ut', 'labore', 'et', 'dolore', 'magna', 'aliqua', 'enim', 'ad', 'minim', 'veniam', 'quis',
];

/** Past this nesting, give up on satisfying a schema that has no finite value (a required self-reference). */
const HARD_DEPTH = 32;

const isObject = (v: unknown): v is SchemaObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON pointer inside `root` (`#`, `#/$defs/a`, `#/properties/x/items`), or undefined. */
export function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'boolean' || isObject(node) ? node : undefined;
}

class Generator {
  readonly #random: Random;
  readonly #maxDepth: number;
  readonly #optional: boolean;

  constructor(
    readonly root: JsonSchema,
    options: ValueOptions,
  ) {
    this.#random = options.random;
    this.#maxDepth = options.maxDepth ?? 4;
    this.#optional = options.optionalProperties ?? true;
  }

  #int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)]!;
  }

  value(schema: JsonSchema, depth: number): unknown {
    if (schema === true) return this.#words(1, 3);
    if (schema === false || !isObject(schema)) return null;
    if (depth > HARD_DEPTH) return null;
    if (typeof schema.$ref === 'string') {
      const target = resolveRef(this.root, schema.$ref);
      // Sibling keywords of a $ref (2020-12) are merged over it; the reference counts as a level.
      const rest = Object.keys(schema).length > 1 ? { ...schema, $ref: undefined } : undefined;
      if (target === undefined) return rest ? this.value(rest, depth) : null;
      return this.value(rest && isObject(target) ? { ...target, ...rest } : target, depth + 1);
    }
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return this.#pick(schema.enum);
    if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return this.value(this.#merge(schema), depth);
    const branches = (Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined) as JsonSchema[] | undefined;
    if (branches && branches.length > 0) {
      const own = { ...schema, anyOf: undefined, oneOf: undefined };
      const branch = this.#branch(branches, depth);
      return this.value(isObject(branch) ? { ...own, ...branch } : branch, depth);
    }
    const type = this.#type(schema, depth);
    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return this.#random() < 0.5;
      case 'integer':
      case 'number':
        return this.#number(schema, type === 'integer');
      case 'array':
        return this.#array(schema, depth);
      case 'object':
        return this.#object(schema, depth);
      default:
        return this.#string(schema);
    }
  }

  /** The schema's type: one of several, null only when nullable and deep (or one time in ten). */
  #type(schema: SchemaObject, depth: number): string {
    let types: string[];
    if (typeof schema.type === 'string') types = [schema.type];
    else if (Array.isArray(schema.type) && schema.type.length > 0) types = schema.type as string[];
    else if (isObject(schema.properties) || schema.additionalProperties !== undefined || schema.required !== undefined) types = ['object'];
    else if (schema.items !== undefined || schema.prefixItems !== undefined) types = ['array'];
    else types = ['string'];
    if (schema.nullable === true && !types.includes('null')) types = [...types, 'null'];
    const concrete = types.filter((t) => t !== 'null');
    if (concrete.length === 0) return 'null';
    if (concrete.length < types.length && (depth >= this.#maxDepth || this.#random() < 0.1)) return 'null';
    return this.#pick(concrete);
  }

  /** One branch; deep down, one that ends (no reference, not an object or array) if there is one. */
  #branch(branches: readonly JsonSchema[], depth: number): JsonSchema {
    if (depth >= this.#maxDepth) {
      const ends = branches.filter((b) => !isObject(b) || (b.$ref === undefined && b.type !== 'object' && b.type !== 'array' && b.properties === undefined));
      if (ends.length > 0) return this.#pick(ends);
    }
    return this.#pick(branches);
  }

  /** allOf as one schema: properties and required lists joined, other keywords last-wins. */
  #merge(schema: SchemaObject): SchemaObject {
    const merged: Record<string, unknown> = { ...schema, allOf: undefined };
    const properties: Record<string, unknown> = { ...(isObject(schema.properties) ? schema.properties : {}) };
    const required = new Set<string>(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    for (const part of schema.allOf as unknown[]) {
      let p = part;
      if (isObject(p) && typeof p.$ref === 'string') p = resolveRef(this.root, p.$ref) ?? {};
      if (!isObject(p)) continue;
      Object.assign(merged, p, { properties: undefined, required: undefined });
      if (isObject(p.properties)) Object.assign(properties, p.properties);
      if (Array.isArray(p.required)) for (const r of p.required) required.add(r as string);
    }
    if (Object.keys(properties).length > 0) merged.properties = properties;
    if (required.size > 0) merged.required = [...required];
    return merged;
  }

  #object(schema: SchemaObject, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const deep = depth >= this.#maxDepth;
    for (const [key, sub] of Object.entries(properties)) {
      if (!required.has(key) && (deep || !this.#optional || this.#random() >= 0.7)) continue;
      out[key] = this.value(sub as JsonSchema, depth + 1);
    }
    // Required keys the properties do not describe: anything goes unless extras are forbidden.
    const extra = schema.additionalProperties;
    for (const key of required) if (!(key in out)) out[key] = this.value(isObject(extra) ? extra : true, depth + 1);
    const min = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
    for (let i = 0; Object.keys(out).length < min && extra !== false && i < min + 8; i++) {
      const key = `${this.#pick(WORDS)}_${i}`;
      if (!(key in out)) out[key] = this.value(isObject(extra) ? extra : true, depth + 1);
    }
    return out;
  }

  #array(schema: SchemaObject, depth: number): unknown[] {
    const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as JsonSchema[]) : [];
    const min = Math.max(typeof schema.minItems === 'number' ? schema.minItems : 0, 0);
    const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, prefix.length) + 3;
    const items = schema.items === false ? undefined : ((schema.items ?? true) as JsonSchema);
    const upper = items === undefined ? Math.min(max, prefix.length) : max;
    const count = depth >= this.#maxDepth ? Math.min(Math.max(min, 0), upper) : this.#int(Math.min(Math.max(min, 1), upper), Math.min(upper, Math.max(min, 1) + 2));
    const out: unknown[] = [];
    const seen = schema.uniqueItems === true ? new Set<string>() : undefined;
    for (let tries = 0; out.length < count && tries < count * 10 + 10; tries++) {
      const at = out.length;
      const v = this.value(at < prefix.length ? prefix[at]! : items!, depth + 1);
      if (seen) {
        const key = JSON.stringify(v);
        if (seen.has(key)) continue;
        seen.add(key);
      }
      out.push(v);
    }
    return out;
  }

  #number(schema: SchemaObject, integer: boolean): number {
    const num = (k: string): number | undefined => (typeof schema[k] === 'number' ? (schema[k] as number) : undefined);
    // Draft 4 spelled exclusive bounds as booleans beside minimum/maximum.
    const exMin = num('exclusiveMinimum') ?? (schema.exclusiveMinimum === true ? num('minimum') : undefined);
    const exMax = num('exclusiveMaximum') ?? (schema.exclusiveMaximum === true ? num('maximum') : undefined);
    const step = num('multipleOf') ?? (integer ? 1 : undefined);
    let lo = num('minimum') ?? (exMin !== undefined ? exMin : undefined);
    let hi = num('maximum') ?? (exMax !== undefined ? exMax : undefined);
    if (lo === undefined && hi === undefined) [lo, hi] = [0, 100];
    else if (lo === undefined) lo = hi! - 100;
    else if (hi === undefined) hi = lo + 100;
    const okLo = (v: number): boolean => (exMin !== undefined ? v > exMin : v >= lo!);
    const okHi = (v: number): boolean => (exMax !== undefined ? v < exMax : v <= hi!);
    if (step !== undefined && step > 0) {
      const first = Math.ceil(lo! / step);
      const last = Math.floor(hi! / step);
      for (let tries = 0; tries < 4 && last >= first; tries++) {
        const v = this.#int(first, last) * step;
        const rounded = integer ? Math.round(v) : Number(v.toPrecision(12));
        if (okLo(rounded) && okHi(rounded)) return rounded;
      }
      return integer ? Math.round(first * step) : first * step;
    }
    const v = Math.round((lo! + this.#random() * (hi! - lo!)) * 100) / 100;
    if (okLo(v) && okHi(v)) return v;
    return (lo! + hi!) / 2;
  }

  #words(min: number, max: number): string {
    const n = this.#int(min, max);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(this.#pick(WORDS));
    return words.join(' ');
  }

  #string(schema: SchemaObject): string {
    const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
    let s = format ? format(this.#random) : this.#words(1, 4);
    const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
    const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
    if (format && (s.length >= min && (max === undefined || s.length <= max))) return s;
    while (s.length < min) s += ' ' + this.#pick(WORDS);
    if (max !== undefined && s.length > max) s = s.slice(0, max).trimEnd().padEnd(Math.min(min, max), 'x');
    return s;
  }
}

const hex = (random: Random, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += ((random() * 16) | 0).toString(16);
  return s;
};
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const date = (random: Random): string => `20${pad(20 + ((random() * 10) | 0))}-${pad(1 + ((random() * 12) | 0))}-${pad(1 + ((random() * 28) | 0))}`;
const time = (random: Random): string => `${pad((random() * 24) | 0)}:${pad((random() * 60) | 0)}:${pad((random() * 60) | 0)}Z`;

/** The formats worth a few characters of code; others are plain words (formats are annotations by default). */
const FORMATS: Readonly<Record<string, (random: Random) => string>> = {
  'date-time': (r) => `${date(r)}T${time(r)}`,
  date,
  time,
  email: (r) => `${WORDS[(r() * WORDS.length) | 0]}@example.com`,
  hostname: (r) => `${WORDS[(r() * WORDS.length) | 0]}.example.com`,
  uri: (r) => `https://example.com/${WORDS[(r() * WORDS.length) | 0]}`,
  url: (r) => `https://example.com/${WORDS[(r() * WORDS.length) | 0]}`,
  uuid: (r) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-${'89ab'[(r() * 4) | 0]}${hex(r, 3)}-${hex(r, 12)}`,
  ipv4: (r) => Array.from({ length: 4 }, () => (r() * 256) | 0).join('.'),
  ipv6: (r) => Array.from({ length: 8 }, () => hex(r, 4)).join(':'),
  duration: (r) => `P${1 + ((r() * 9) | 0)}D`,
};

/** A value valid for `schema` (except `pattern`), with `random` choosing among the valid ones. */
export function valueForSchema(schema: JsonSchema, options: ValueOptions): unknown {
  return new Generator(schema, options).value(schema, 0);
}
