/**
 * The JSON Schema value generator and the strict-subset checker: every generated value is checked
 * by ajv (draft 2020-12, with formats), over hand-written schemas that cover each keyword and over
 * a seeded random sample of many generated schemas.
 */
import { describe, expect, it } from 'vitest';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { valueForSchema, type JsonSchema } from '../../src/core/schema/generate.js';
import { contextRepr, strictSchemaProblem } from '../../src/core/schema/strict.js';
import { seededRandom } from '../../src/core/random.js';

const Ajv2020 = Ajv2020Module as unknown as typeof Ajv2020Module.default;
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

function expectValid(schema: JsonSchema, value: unknown): void {
  const validate = ajv.compile(schema as object);
  const ok = validate(value);
  if (!ok) throw new Error(`${JSON.stringify(value)} does not validate against ${JSON.stringify(schema)}: ${ajv.errorsText(validate.errors)}`);
}

const HAND_WRITTEN: Record<string, JsonSchema> = {
  types: { type: 'object', properties: { s: { type: 'string' }, n: { type: 'number' }, i: { type: 'integer' }, b: { type: 'boolean' }, z: { type: 'null' } }, required: ['s', 'n', 'i', 'b', 'z'], additionalProperties: false },
  enums: { type: 'object', properties: { unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, k: { const: 42 } }, required: ['unit', 'k'] },
  nested: {
    type: 'object',
    properties: { user: { type: 'object', properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 4 } }, required: ['name', 'tags'], additionalProperties: false } },
    required: ['user'],
    additionalProperties: false,
  },
  anyOf: { type: 'object', properties: { v: { anyOf: [{ type: 'string', format: 'email' }, { type: 'integer', minimum: 5, maximum: 6 }] } }, required: ['v'] },
  oneOf: { type: 'object', properties: { v: { oneOf: [{ type: 'string' }, { type: 'boolean' }] } }, required: ['v'] },
  allOf: { allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'integer' } }, required: ['b'] }] },
  defs: { type: 'object', $defs: { point: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'], additionalProperties: false } }, properties: { p: { $ref: '#/$defs/point' }, q: { $ref: '#/$defs/point' } }, required: ['p', 'q'] },
  nullable: { type: 'object', properties: { maybe: { type: ['string', 'null'] }, legacy: { type: 'string', nullable: true } }, required: ['maybe'] },
  recursion: {
    type: 'object',
    properties: { value: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } }, parent: { anyOf: [{ $ref: '#' }, { type: 'null' }] } },
    required: ['value', 'children', 'parent'],
    additionalProperties: false,
  },
  formats: {
    type: 'object',
    properties: Object.fromEntries(['date-time', 'date', 'time', 'email', 'hostname', 'uri', 'uuid', 'ipv4', 'ipv6', 'duration'].map((f) => [f, { type: 'string', format: f }])),
    required: ['date-time', 'date', 'time', 'email', 'hostname', 'uri', 'uuid', 'ipv4', 'ipv6', 'duration'],
  },
  bounds: {
    type: 'object',
    properties: {
      pct: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      step: { type: 'integer', multipleOf: 5, minimum: 10, maximum: 30 },
      half: { type: 'number', multipleOf: 0.5, minimum: -2, maximum: 2 },
      short: { type: 'string', minLength: 3, maxLength: 5 },
      long: { type: 'string', minLength: 40 },
      set: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 50 }, uniqueItems: true, minItems: 3 },
      tuple: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
    },
    required: ['pct', 'step', 'half', 'short', 'long', 'set', 'tuple'],
  },
  anything: { type: 'object', properties: { x: {}, y: true }, required: ['x', 'y', 'undeclared'], minProperties: 4 },
};

describe('valueForSchema', () => {
  for (const [name, schema] of Object.entries(HAND_WRITTEN)) {
    it(`generates valid values: ${name}`, () => {
      const random = seededRandom(name.length * 7919);
      for (let i = 0; i < 50; i++) expectValid(schema, valueForSchema(schema, { random }));
    });
  }

  it('keeps the schema order of properties and includes every one with strict (optionalProperties false)', () => {
    const schema: JsonSchema = { type: 'object', properties: { zeta: { type: 'string' }, alpha: { type: 'string' }, mid: { type: 'integer' } }, required: ['zeta', 'alpha', 'mid'] };
    const value = valueForSchema(schema, { random: seededRandom(1), optionalProperties: false }) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['zeta', 'alpha', 'mid']);
  });

  it('bounds recursion: a self-referencing schema ends within the depth bound', () => {
    const schema = HAND_WRITTEN.recursion!;
    const depthOf = (v: unknown): number => (v && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
    for (let seed = 0; seed < 40; seed++) expect(depthOf(valueForSchema(schema, { random: seededRandom(seed), maxDepth: 3 }))).toBeLessThan(20);
  });

  it('differs with the random source (values are not constant)', () => {
    const schema = HAND_WRITTEN.types!;
    const a = JSON.stringify(valueForSchema(schema, { random: seededRandom(1) }));
    const b = JSON.stringify(valueForSchema(schema, { random: seededRandom(2) }));
    expect(a).not.toBe(b);
  });
});

/** A random schema from the keywords the generator claims; anyOf branches have distinct types (so oneOf-like exclusivity holds). */
function randomSchema(random: () => number, depth: number, defs: string[]): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const leaf = (): Record<string, unknown> =>
    pick([
      () => ({ type: 'string' }),
      () => ({ type: 'string', minLength: 2, maxLength: 12 }),
      () => ({ type: 'string', format: pick(['date-time', 'date', 'email', 'uuid', 'uri', 'ipv4']) }),
      () => ({ type: 'integer', minimum: -5, maximum: 5 }),
      () => ({ type: 'number', exclusiveMinimum: 0, maximum: 10 }),
      () => ({ type: 'integer', multipleOf: 3 }),
      () => ({ type: 'boolean' }),
      () => ({ type: ['string', 'null'] }),
      () => ({ enum: ['red', 'green', 7, null] }),
      () => ({ const: 'fixed' }),
    ])();
  if (depth <= 0) return leaf();
  const kind = pick(['leaf', 'object', 'object', 'array', 'anyOf', 'ref', 'nullableObject']);
  if (kind === 'leaf') return leaf();
  if (kind === 'ref' && defs.length > 0) return { $ref: `#/$defs/${pick(defs)}` };
  if (kind === 'array') return { type: 'array', items: randomSchema(random, depth - 1, defs), ...(random() < 0.3 ? { minItems: 1, maxItems: 3 } : {}) };
  if (kind === 'anyOf') {
    return { anyOf: [{ type: 'string', maxLength: 20 }, { type: 'integer' }, { type: 'object', properties: { k: randomSchema(random, depth - 1, defs) }, required: ['k'], additionalProperties: false }].slice(0, 2 + Math.floor(random() * 2)) };
  }
  const count = 1 + Math.floor(random() * 4);
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) properties[`p${i}_${Math.floor(random() * 100)}`] = randomSchema(random, depth - 1, defs);
  const keys = Object.keys(properties);
  const required = random() < 0.5 ? keys : keys.filter(() => random() < 0.5);
  const object = { type: kind === 'nullableObject' ? ['object', 'null'] : 'object', properties, required, additionalProperties: false };
  return object;
}

describe('valueForSchema over random schemas (seeded)', () => {
  it('every value of 400 random schemas validates with ajv', () => {
    const random = seededRandom(20261201);
    for (let s = 0; s < 400; s++) {
      const defs: Record<string, unknown> = {};
      // Some definitions, one of them recursive through a nullable/array path.
      defs.node = { type: 'object', properties: { label: { type: 'string' }, next: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } }, required: ['label', 'next'], additionalProperties: false };
      defs.leaf = randomSchema(random, 1, []);
      const schema = { ...randomSchema(random, 3, ['node', 'leaf']), $defs: defs };
      for (let v = 0; v < 5; v++) expectValid(schema, valueForSchema(schema, { random, optionalProperties: random() < 0.5 }));
    }
  });
});

describe('strictSchemaProblem', () => {
  const ok = { type: 'object', properties: { a: { type: 'string' }, b: { type: ['integer', 'null'] } }, required: ['a', 'b'], additionalProperties: false };

  it('accepts a schema inside the subset, with $defs and recursion', () => {
    expect(strictSchemaProblem(ok)).toBeUndefined();
    expect(strictSchemaProblem(HAND_WRITTEN.recursion)).toBeUndefined();
    expect(
      strictSchemaProblem({ type: 'object', $defs: { p: ok }, properties: { x: { $ref: '#/$defs/p' }, list: { type: 'array', items: { anyOf: [{ $ref: '#/$defs/p' }, { type: 'null' }] } } }, required: ['x', 'list'], additionalProperties: false }),
    ).toBeUndefined();
  });

  it("words the service's messages, with the context tuple", () => {
    expect(strictSchemaProblem({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] })).toBe("In context=(), 'additionalProperties' is required to be supplied and to be false.");
    expect(strictSchemaProblem({ ...ok, properties: { target: { type: 'object', properties: { role: { type: 'string' } }, required: [], additionalProperties: false } }, required: ['target'] })).toBe(
      "In context=('properties', 'target'), 'required' is required to be supplied and to be an array including every key in properties. Missing 'role'.",
    );
    expect(strictSchemaProblem({ ...ok, properties: { a: { oneOf: [{ type: 'string' }] } }, required: ['a'] })).toBe("In context=('properties', 'a'), 'oneOf' is not permitted.");
    expect(strictSchemaProblem({ type: 'array', items: { type: 'string' } })).toBe(`schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.`);
    expect(strictSchemaProblem({ ...ok, properties: { a: { $ref: '#/$defs/missing' } }, required: ['a'] })).toContain("'#/$defs/missing'");
    expect(contextRepr(['properties'])).toBe("('properties',)");
  });

  it('the azure-doc rules reject string and number constraints that the openai rules accept', () => {
    const constrained = { ...ok, properties: { a: { type: 'string', maxLength: 5 } }, required: ['a'] };
    expect(strictSchemaProblem(constrained, 'openai')).toBeUndefined();
    expect(strictSchemaProblem(constrained, 'azure-doc')).toBe("In context=('properties', 'a'), 'maxLength' is not permitted.");
    expect(strictSchemaProblem({ type: 'string' }, 'off')).toBeUndefined();
  });
});
