import { describe, expect, it } from 'vitest';
import { errorBody, errors } from '../../src/core/errors.js';

describe('errorBody', () => {
  it('is exactly the JSON of the AOAI envelope, for every kind of value', () => {
    const samples = [
      errors.unauthorized(),
      errors.routeNotFound(),
      errors.invalidValue('max_tokens', 'quotes " backslashes \\ newlines \n and ünïcödé ✓'),
      errors.internal('detail'),
      { status: 429, code: '429', type: null, param: null, message: 'Please retry after 7 seconds.' },
    ];
    for (const error of samples) {
      const body = errorBody(error);
      expect(body).toBe(JSON.stringify({ error: { code: error.code, message: error.message, type: error.type, param: error.param } }));
      expect(JSON.parse(body)).toEqual({ error: { code: error.code, message: error.message, type: error.type, param: error.param } });
    }
  });
});
