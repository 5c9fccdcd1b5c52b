/**
 * The strict-mode subset of JSON Schema (structured outputs and `strict` function tools), checked
 * the way the service checks it, with its messages: "In context=('properties', 'x'), 'required' is
 * required to be supplied and to be an array including every key in properties. Missing 'y'."
 *
 * Two rule sets, because the sources disagree (reference §3.3): `openai` (the default) is what
 * the service accepts in 2026 — string/number/array constraints allowed, 5000 properties, 10
 * levels, 1000 enum values; `azure-doc` follows the Azure page — those constraints rejected, 100
 * properties, 5 levels, 500 enum values. `off` accepts any schema.
 */
import type { JsonSchema } from './generate.js';
import { resolveRef } from './generate.js';

export type StrictRules = 'openai' | 'azure-doc' | 'off';

interface Limits {
  readonly properties: number;
  readonly depth: number;
  readonly enumValues: number;
  readonly constraints: readonly string[];
}

const ALWAYS_FORBIDDEN = [
  'allOf', 'not', 'oneOf', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'patternProperties',
  'unevaluatedProperties', 'unevaluatedItems', 'propertyNames', 'minProperties', 'maxProperties', 'contains', 'minContains',
  'maxContains', 'uniqueItems',
];

const LIMITS: Readonly<Record<Exclude<StrictRules, 'off'>, Limits>> = {
  openai: { properties: 5000, depth: 10, enumValues: 1000, constraints: [] },
  'azure-doc': {
    properties: 100,
    depth: 5,
    enumValues: 500,
    constraints: ['minLength', 'maxLength', 'pattern', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems'],
  },
};

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python's repr of the context tuple, as the service prints it: `()`, `('a',)`, `('a', 'b')`. */
export function contextRepr(path: readonly string[]): string {
  if (path.length === 0) return '()';
  const items = path.map((p) => `'${p}'`);
  return path.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

class Problem extends Error {}

/** The first way `schema` leaves the strict subset, as the service words it; undefined if it is inside. */
export function strictSchemaProblem(schema: unknown, rules: StrictRules = 'openai'): string | undefined {
  if (rules === 'off') return undefined;
  const limits = LIMITS[rules];
  if (!isObject(schema) || schema.type !== 'object') {
    const got = isObject(schema) ? (schema.type === undefined ? 'None' : String(schema.type)) : 'None';
    return `schema must be a JSON Schema of 'type: "object"', got 'type: "${got}"'.`;
  }
  if (schema.anyOf !== undefined) return `In context=(), 'anyOf' is not permitted at the root of the schema.`;
  let properties = 0;
  const fail = (path: readonly string[], detail: string): never => {
    throw new Problem(`In context=${contextRepr(path)}, ${detail}`);
  };
  const visit = (node: unknown, path: string[], depth: number): void => {
    if (!isObject(node)) return fail(path, 'schema must be an object.');
    for (const key of ALWAYS_FORBIDDEN) if (key in node) fail(path, `'${key}' is not permitted.`);
    for (const key of limits.constraints) if (key in node) fail(path, `'${key}' is not permitted.`);
    if (typeof node.$ref === 'string') {
      if (resolveRef(schema as JsonSchema, node.$ref) === undefined) fail(path, `reference to component '${node.$ref}' which was not found in the schema.`);
      return; // the target is checked where it is defined
    }
    if (Array.isArray(node.enum) && node.enum.length > limits.enumValues) fail(path, `'enum' has ${node.enum.length} values; at most ${limits.enumValues} are permitted.`);
    const types = node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];
    for (const t of types) if (typeof t !== 'string' || !TYPES.has(t)) fail(path, `'${String(t)}' is not a valid type.`);
    if (Array.isArray(node.anyOf)) node.anyOf.forEach((b, i) => visit(b, [...path, 'anyOf', String(i)], depth));
    else if (types.length === 0 && node.enum === undefined && node.const === undefined) fail(path, "schema must have a 'type' key.");
    if (types.includes('object')) {
      if (depth > limits.depth) fail(path, `the schema is nested more than ${limits.depth} levels deep.`);
      const props = isObject(node.properties) ? node.properties : {};
      if (node.additionalProperties !== false) fail(path, "'additionalProperties' is required to be supplied and to be false.");
      const required = Array.isArray(node.required) ? (node.required as unknown[]) : undefined;
      const missing = Object.keys(props).filter((k) => !required?.includes(k));
      if (!required || missing.length > 0) {
        fail(path, `'required' is required to be supplied and to be an array including every key in properties.${missing.length > 0 ? ` Missing '${missing[0]}'.` : ''}`);
      }
      for (const [key, sub] of Object.entries(props)) {
        properties++;
        if (properties > limits.properties) fail(path, `the schema has more than ${limits.properties} properties.`);
        visit(sub, [...path, 'properties', key], depth + 1);
      }
    }
    if (types.includes('array')) {
      if (node.items === undefined) fail(path, "'items' is required to be supplied for an array.");
      visit(node.items, [...path, 'items'], depth + 1);
    }
  };
  try {
    for (const defs of ['$defs', 'definitions'] as const) {
      if (isObject(schema[defs])) for (const [name, sub] of Object.entries(schema[defs])) visit(sub, [defs, name], 1);
    }
    visit(schema, [], 1);
  } catch (err) {
    if (err instanceof Problem) return err.message;
    throw err;
  }
  return undefined;
}
