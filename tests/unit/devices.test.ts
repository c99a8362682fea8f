import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientHintsOf, describeDevice, DEVICE_TYPES, MAX_CLIENT_HINT_LENGTH, type ClientHints } from '../../server/domain/devices';

const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const CHROME_ANDROID_TABLET = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const NOTHING = { browser: null, browserVersion: null, os: null, osVersion: null, type: null };

describe('describeDevice from a user agent alone (bowser)', () => {
  it.each([
    [CHROME_WINDOWS, { browser: 'Chrome', browserVersion: '131.0.0.0', os: 'Windows', osVersion: '10', type: 'desktop' }],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
      { browser: 'Safari', browserVersion: '17.1', os: 'macOS', osVersion: '10.15.7', type: 'desktop' },
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      { browser: 'Safari', browserVersion: '17.1', os: 'iOS', osVersion: '17.1', type: 'mobile' },
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1',
      { browser: 'Safari', browserVersion: '16.0', os: 'iOS', osVersion: '16.0', type: 'tablet' },
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0',
      { browser: 'Firefox', browserVersion: '120.0', os: 'Linux', osVersion: null, type: 'desktop' },
    ],
    [
      `${CHROME_WINDOWS} Edg/131.0.2903.70`,
      { browser: 'Microsoft Edge', browserVersion: '131.0.2903.70', os: 'Windows', osVersion: '10', type: 'desktop' },
    ],
    [CHROME_ANDROID, { browser: 'Chrome', browserVersion: '131.0.0.0', os: 'Android', osVersion: '10', type: 'mobile' }],
    ['Googlebot/2.1 (+http://www.google.com/bot.html)', { browser: 'Googlebot', browserVersion: '2.1', os: null, osVersion: null, type: 'bot' }],
    // The API document's example agent names no browser: "Mozilla/5.0" is not one.
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)', { browser: null, browserVersion: null, os: 'macOS', osVersion: '10.15.7', type: 'desktop' }],
  ])('%s', (userAgent, device) => {
    expect(describeDevice(userAgent, null)).toEqual(device);
  });

  it.each([null, '', '   ', 'curl/8.5.0', 'Swagger test agent', 'gatehouse-admin-cli', 'x'.repeat(512), 'Ã©Ã¨ ÿþ', '\u2603 snowman/1'])(
    'unknown or absent (%j): nulls, no error',
    (userAgent) => {
      expect(describeDevice(userAgent, null)).toEqual(NOTHING);
    },
  );
});

describe('describeDevice with User-Agent Client Hints', () => {
  const chrome: ClientHints = {
    brands: '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
    mobile: '?0',
    platform: '"Windows"',
  };

  it('takes the specific brand (not Chromium, not the GREASE brand) and, with UA reduction, no frozen OS version', () => {
    expect(describeDevice(CHROME_WINDOWS, chrome)).toEqual({ browser: 'Chrome', browserVersion: '131', os: 'Windows', osVersion: null, type: 'desktop' });
  });

  it.each([
    ['15.0.0', '11'],
    ['13.0.0', '11'],
    ['10.0.0', '10'],
    ['1.0.0', '10'],
    ['0.3.0', '8.1'],
    ['0.2.0', '8'],
    ['0.1.0', '7'],
    ['0.0.0', null],
    ['banana', null],
  ])('Windows platform version %s is Windows %s', (platformVersion, osVersion) => {
    expect(describeDevice(CHROME_WINDOWS, { ...chrome, platformVersion: `"${platformVersion}"` }).osVersion).toBe(osVersion);
  });

  it('the full version list gives the full version of the same brand; macOS versions are kept as sent', () => {
    const device = describeDevice(CHROME_WINDOWS, {
      ...chrome,
      platform: '"macOS"',
      platformVersion: '"14.6.1"',
      fullVersionList: '"Google Chrome";v="131.0.6778.86", "Chromium";v="131.0.6778.86", "Not_A Brand";v="24.0.0.0"',
    });
    expect(device).toEqual({ browser: 'Chrome', browserVersion: '131.0.6778.86', os: 'macOS', osVersion: '14.6.1', type: 'desktop' });
  });

  it.each([
    ['"Microsoft Edge";v="131", "Chromium";v="131", "Not?A_Brand";v="99"', 'Microsoft Edge'],
    ['"Not A(Brand";v="8", "Chromium";v="131"', 'Chromium'],
    ['" Not A;Brand";v="99", "Chromium";v="90", "Opera";v="76"', 'Opera'],
    ['"Chromium";v="131", "HeadlessChrome";v="131", "Not)A;Brand";v="8"', 'Chrome'],
    ['"Brave";v="131", "Chromium";v="131", "Not/A)Brand";v="24"', 'Brave'],
  ])('brands %s name %s', (brands, browser) => {
    expect(describeDevice(null, { brands }).browser).toBe(browser);
  });

  it('Sec-CH-UA-Mobile: ?1 is a phone; ?0 is a desktop unless the user agent tells a tablet', () => {
    expect(describeDevice(CHROME_ANDROID, { ...chrome, platform: '"Android"', mobile: '?1' }).type).toBe('mobile');
    expect(describeDevice(CHROME_ANDROID_TABLET, { ...chrome, platform: '"Android"', mobile: '?0' }).type).toBe('tablet');
    expect(describeDevice(CHROME_ANDROID, { ...chrome, platform: '"Android"', mobile: '?0' }).type).toBe('desktop');
  });

  it.each<ClientHints>([
    { brands: '"unterminated', mobile: '?2', platform: 'Windows' },
    { brands: ';;;,,,', mobile: '1', platform: '"Unknown"' },
    { brands: '"a";v=', mobile: '"?1"', platform: '""' },
    { brands: '"Not_A Brand";v="24"', platform: '"\u00e9"' },
    { brands: 'token, 42, ?1, :aGk=:', platformVersion: '"15.0.0"' },
    { brands: '("inner" "list");v="1"', fullVersionList: '"unterminated' },
  ])('malformed hints %j fall back to the user agent', (hints) => {
    expect(describeDevice(CHROME_WINDOWS, hints)).toEqual(describeDevice(CHROME_WINDOWS, null));
  });

  it('never throws, and answers only strings, nulls and known types, whatever the headers hold', () => {
    const header = fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), { nil: undefined });
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 512 }), { nil: null }), header, header, header, header, header, (userAgent, brands, mobile, platform, platformVersion, fullVersionList) => {
        const device = describeDevice(userAgent, { brands, mobile, platform, platformVersion, fullVersionList });
        for (const field of [device.browser, device.browserVersion, device.os, device.osVersion]) {
          expect(field === null || typeof field === 'string').toBe(true);
        }
        expect(device.type === null || DEVICE_TYPES.includes(device.type)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('clientHintsOf', () => {
  it('keeps the five hints as sent, and none longer than the bound (a cut structured header would not parse)', () => {
    const headers: Record<string, string> = {
      'sec-ch-ua': '"Chromium";v="131"',
      'sec-ch-ua-mobile': '?0',
      'sec-ch-ua-platform': '"Linux"',
      'sec-ch-ua-platform-version': '"6.1.0"',
      'sec-ch-ua-full-version-list': `"Chromium";v="${'1'.repeat(MAX_CLIENT_HINT_LENGTH)}"`,
      'sec-ch-ua-model': '"Pixel 7"',
    };
    expect(clientHintsOf((name) => headers[name])).toEqual({
      brands: '"Chromium";v="131"',
      mobile: '?0',
      platform: '"Linux"',
      platformVersion: '"6.1.0"',
    });
    expect(clientHintsOf(() => undefined)).toBeNull();
  });
});

describe('describeDevice remembers what it parsed', () => {
  const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

  it('gives the same device again for the same agent and hints, never the same object, and tells hints apart', () => {
    const first = describeDevice(chrome, null);
    first.browser = 'changed by a caller';
    expect(describeDevice(chrome, null)).toMatchObject({ browser: 'Chrome', os: 'Linux' });
    const hinted = describeDevice(chrome, { brands: '"Microsoft Edge";v="131"', mobile: '?1', platform: '"Android"' });
    expect(hinted).toMatchObject({ browser: 'Microsoft Edge', os: 'Android', type: 'mobile' });
    expect(describeDevice(chrome, { brands: '"Google Chrome";v="131"', mobile: '?0', platform: '"Linux"' })).toMatchObject({ browser: 'Chrome', type: 'desktop' });
  });

  it('stays bounded: thousands of distinct agents, then the first again, still right', () => {
    for (let i = 0; i < 5_000; i++) describeDevice(`${chrome} build/${i}`, null);
    expect(describeDevice(chrome, null)).toMatchObject({ browser: 'Chrome', browserVersion: '131.0.0.0' });
  });
});
