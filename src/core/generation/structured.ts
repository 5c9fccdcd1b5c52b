/**
 * Structured outputs (`response_format`): `json_object` answers a JSON object (and needs the word
 * "json" in the messages, as the service does); `json_schema` checks a strict schema against the
 * strict subset (the service's 400s) and answers JSON generated from the schema, keys in schema
 * order — every property with `strict`, the required ones and some optional ones without.
 * The answer is the message's content; `refusal` stays null.
 */
import type { AgentPolicy } from './agent-policy.js';
import { errors, fail } from '../errors.js';
import { isObject, type ChatMessage } from './requests.js';
import type { Random } from './lorem.js';
import { strictSchemaProblem } from '../schema/strict.js';
import { valueForSchema, type JsonSchema } from '../schema/generate.js';

const SCHEMA_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** What `json_object` answers: an object, as a model asked for "JSON" writes one. */
const JSON_OBJECT_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['answer', 'confidence', 'tags'],
};

function mentionsJson(messages: readonly ChatMessage[]): boolean {
  for (const m of messages) {
    const c = m.content;
    if (typeof c === 'string' && /json/i.test(c)) return true;
    if (Array.isArray(c) && c.some((part) => typeof part.text === 'string' && /json/i.test(part.text))) return true;
  }
  return false;
}

/** The response format's schema to answer with; undefined for text. Throws the service's 400s. */
export function structuredSchema(body: Record<string, unknown>, messages: readonly ChatMessage[], policy: AgentPolicy): { schema: JsonSchema; strict: boolean } | undefined {
  const format = body.response_format;
  if (format === undefined || format === null) return undefined;
  if (!isObject(format)) fail(errors.invalidType('response_format', 'an object', format));
  if (format.type === 'text') return undefined;
  if (format.type === 'json_object') {
    if (!mentionsJson(messages)) fail(errors.jsonWordMissing());
    return { schema: JSON_OBJECT_SCHEMA, strict: true };
  }
  if (format.type !== 'json_schema') {
    fail(errors.invalidValue('response_format.type', `Supported values are: 'json_object', 'json_schema', and 'text', but got ${JSON.stringify(format.type)} instead.`));
  }
  const spec = format.json_schema;
  if (spec === undefined) fail(errors.missingField('response_format.json_schema'));
  if (!isObject(spec)) fail(errors.invalidType('response_format.json_schema', 'an object', spec));
  if (spec.name === undefined) fail(errors.missingField('response_format.json_schema.name'));
  if (typeof spec.name !== 'string' || !SCHEMA_NAME.test(spec.name)) {
    fail(errors.invalidValue('response_format.json_schema.name', "expected a string of at most 64 characters matching the pattern '^[a-zA-Z0-9_-]+$'."));
  }
  if (spec.strict !== undefined && spec.strict !== null && typeof spec.strict !== 'boolean') fail(errors.invalidType('response_format.json_schema.strict', 'a boolean', spec.strict));
  const schema = spec.schema ?? { type: 'object' };
  if (!isObject(schema)) fail(errors.invalidType('response_format.json_schema.schema', 'an object', schema));
  const strict = spec.strict === true;
  if (strict) {
    const problem = strictSchemaProblem(schema, policy.strictSchemas);
    if (problem) fail(errors.invalidSchema('response_format', spec.name, problem, 'response_format'));
  }
  return { schema: schema as JsonSchema, strict };
}

/** The answer's JSON text for a schema from `structuredSchema`. */
export function structuredText(format: { schema: JsonSchema; strict: boolean }, random: Random = Math.random): string {
  return JSON.stringify(valueForSchema(format.schema, { random, optionalProperties: !format.strict }));
}
