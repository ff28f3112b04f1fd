import { describe, expect, it } from 'vitest';
import { HANDLE_PATTERN } from './handle';

describe('the handle field’s pattern', () => {
  it('accepts exactly what the API’s rule does, compiled as browsers compile <input pattern> (v flag)', () => {
    const field = new RegExp(`^(?:${HANDLE_PATTERN})$`, 'v');
    for (const handle of ['ada', 'ada-lovelace_1', 'a1b']) expect(field.test(handle)).toBe(true);
    for (const handle of ['ab', '-ada', 'ada_', 'Ada', 'a'.repeat(31), 'ada lovelace']) expect(field.test(handle)).toBe(false);
  });
});
