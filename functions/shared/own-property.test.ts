import { describe, expect, it } from 'vitest';
import { setOwn } from './own-property';

describe('setOwn', () => {
  it('sets __proto__ as an own data property and leaves the prototype alone', () => {
    const target: Record<string, unknown> = {};

    setOwn(target, '__proto__', { polluted: true });

    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(target, '__proto__')).toEqual({
      value: { polluted: true },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('sets any other name, constructor included, as an own enumerable data property', () => {
    const target: Record<string, unknown> = {};

    setOwn(target, 'constructor', 'c');
    setOwn(target, 'a', 1);

    expect(Object.keys(target)).toEqual(['constructor', 'a']);
    expect(Object.getOwnPropertyDescriptor(target, 'constructor')).toMatchObject({
      value: 'c',
      enumerable: true,
      writable: true,
    });
  });
});
