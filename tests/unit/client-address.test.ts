import { describe, expect, it } from 'vitest';
import { clientAddressKey } from '../../server/domain/rate-limits';

describe('the address a rate limit counts against', () => {
  it('is the IPv4 address itself, also when IPv4-mapped', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('is the /64 for IPv6, whichever way the address is written', () => {
    const key = clientAddressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002::9')).toBe(key);
    expect(clientAddressKey('2001:DB8:1:2::')).toBe(key);
    expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(key);
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('is one bucket for requests with no address', () => {
    expect(clientAddressKey(null)).toBe('unknown');
  });
});
