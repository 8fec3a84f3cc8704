import { describe, expect, it } from 'vitest';
import { requestHeader } from './request-header';

describe('requestHeader', () => {
  it('finds a header sent in lower case, as Node and HTTP/2 clients send every name', () => {
    expect(requestHeader({ 'user-agent': 'curl/8' }, 'User-Agent')).toBe('curl/8');
  });

  it('finds a header by the exact name asked', () => {
    expect(requestHeader({ Authorization: 'Bearer a.b.c' }, 'Authorization')).toBe('Bearer a.b.c');
  });

  it('finds a header in any other case', () => {
    expect(requestHeader({ 'CONTENT-type': 'application/json' }, 'content-type')).toBe('application/json');
  });

  it('answers undefined for a missing header, no headers, or an undefined value', () => {
    expect(requestHeader({ accept: '*/*' }, 'origin')).toBeUndefined();
    expect(requestHeader(null, 'origin')).toBeUndefined();
    expect(requestHeader(undefined, 'origin')).toBeUndefined();
    expect(requestHeader({ origin: undefined }, 'Origin')).toBeUndefined();
  });

  it('never answers from the prototype', () => {
    expect(requestHeader({}, 'constructor')).toBeUndefined();
    expect(requestHeader({}, '__proto__')).toBeUndefined();
    expect(requestHeader({}, 'toString')).toBeUndefined();
  });

  it('answers a header named __proto__ that the client sent, as data', () => {
    const headers = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    expect(requestHeader(headers, '__proto__')).toBe('x');
  });
});
