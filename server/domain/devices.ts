import Bowser from 'bowser';
import { parseItem, parseList } from 'structured-headers';

/** What a session list shows of the device a session was signed in from. */
export interface Device {
  browser: string | null;
  browserVersion: string | null;
  os: string | null;
  osVersion: string | null;
  type: DeviceType | null;
}

export const DEVICE_TYPES = ['desktop', 'mobile', 'tablet', 'tv', 'bot'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/**
 * User-Agent Client Hints as a browser sent them at sign-in, raw (each bounded when stored).
 * Chromium-based browsers send the first three to every secure origin; the high-entropy two only
 * to origins the page delegated them to (README, "Devices in the session list").
 */
export type ClientHints = {
  /** Sec-CH-UA: the brands and their major versions. */
  brands?: string;
  /** Sec-CH-UA-Mobile: `?1` or `?0`. */
  mobile?: string;
  /** Sec-CH-UA-Platform: `"Windows"`, `"macOS"`, `"Android"`, ... */
  platform?: string;
  /** Sec-CH-UA-Platform-Version. */
  platformVersion?: string;
  /** Sec-CH-UA-Full-Version-List: the brands with their full versions. */
  fullVersionList?: string;
};

/** The request headers each hint comes from. */
export const CLIENT_HINT_HEADERS: Record<keyof ClientHints, string> = {
  brands: 'sec-ch-ua',
  mobile: 'sec-ch-ua-mobile',
  platform: 'sec-ch-ua-platform',
  platformVersion: 'sec-ch-ua-platform-version',
  fullVersionList: 'sec-ch-ua-full-version-list',
};

/** Stored hints are bounded like user agents: a real one is under 150 characters. */
export const MAX_CLIENT_HINT_LENGTH = 256;

const NO_DEVICE: Device = { browser: null, browserVersion: null, os: null, osVersion: null, type: null };

/**
 * The device of a session, from its user agent (bowser) and, where the browser sent them, its
 * Client Hints, which win: Chromium freezes parts of its user agent (Windows stays "NT 10.0" on
 * Windows 11, macOS stays 10.15.7, Android 10, minor versions 0.0.0), so with hints present the
 * OS version comes from Sec-CH-UA-Platform-Version or is null rather than a frozen value.
 * Anything unknown, absent or malformed is null: this never throws.
 */
export function describeDevice(userAgent: string | null, hints: ClientHints | null | undefined): Device {
  // A user's sessions come from a handful of browsers, and a list describes up to 100 of them:
  // bowser's parse is some 40 µs, a lookup here well under one.
  const key = hints ? `${userAgent ?? ''}\u0000${JSON.stringify(hints)}` : (userAgent ?? '');
  const known = described.get(key);
  if (known) return { ...known };
  const device = describeUncached(userAgent, hints);
  if (described.size >= DESCRIBED_MAX) described.delete(described.keys().next().value!);
  described.set(key, device);
  return { ...device };
}

/** The last devices described, by user agent and hints; the oldest goes first when it is full. */
const described = new Map<string, Device>();
const DESCRIBED_MAX = 2_000;

function describeUncached(userAgent: string | null, hints: ClientHints | null | undefined): Device {
  const fromAgent = deviceFromUserAgent(userAgent);
  if (!hints) return fromAgent;
  const brand = mainBrand(hints);
  const platform = hintString(hints.platform);
  const mobile = hintBoolean(hints.mobile);
  const device: Device = { ...fromAgent };
  if (brand) {
    device.browser = brand.name;
    device.browserVersion = brand.version;
  }
  if (platform !== null && platform !== '' && platform !== 'Unknown') {
    device.os = platform;
    device.osVersion = osVersion(platform, hintString(hints.platformVersion));
  }
  if (mobile === true) device.type = 'mobile';
  // `?0` is also what tablets send; bowser can tell a tablet, a TV or a bot from the user agent.
  else if (mobile === false) device.type = fromAgent.type && fromAgent.type !== 'mobile' ? fromAgent.type : 'desktop';
  return device;
}

function deviceFromUserAgent(userAgent: string | null): Device {
  if (!userAgent || !userAgent.trim()) return NO_DEVICE;
  try {
    const parser = Bowser.getParser(userAgent);
    const [browser, os, platform] = [parser.getBrowser(), parser.getOS(), parser.getPlatform()];
    // bowser's last resort names the first `name/version` token: "Mozilla/5.0" is no browser.
    const browserName = browser.name && browser.name !== 'Mozilla' ? browser.name : null;
    return {
      browser: browserName,
      browserVersion: browserName ? browser.version || null : null,
      os: os.name || null,
      // Windows' version is "NT 10.0"; its name is what people know ("10", "8.1", "XP").
      osVersion: (os.name === 'Windows' ? os.versionName : os.version) || null,
      type: DEVICE_TYPES.find((type) => type === platform.type) ?? null,
    };
  } catch {
    return NO_DEVICE;
  }
}

/** Chromium's names in Sec-CH-UA, as bowser names the same browsers from a user agent. */
const BRAND_NAMES: Record<string, string> = {
  'Google Chrome': 'Chrome',
  HeadlessChrome: 'Chrome',
  'Microsoft Edge': 'Microsoft Edge',
  'Opera GX': 'Opera',
};

/** "Not A(Brand", "Not?A_Brand", ...: the made-up brand every Chromium adds so that servers do not match exact lists. */
const GREASE_BRAND = /^[^a-z0-9]*not[^a-z0-9]*a[^a-z0-9]*brand[^a-z0-9]*$/i;

/** The brand that names the browser: the most specific one (Chrome or Edge rather than the Chromium they are built on). */
function mainBrand(hints: ClientHints): { name: string; version: string | null } | null {
  const brands = brandList(hints.brands);
  if (brands.length === 0) return null;
  const specific = brands.find((brand) => brand.name !== 'Chromium') ?? brands[0]!;
  const fullVersion = brandList(hints.fullVersionList).find((brand) => brand.name === specific.name)?.version ?? null;
  return { name: BRAND_NAMES[specific.name] ?? specific.name, version: fullVersion ?? specific.version };
}

function brandList(header: string | undefined): Array<{ name: string; version: string | null }> {
  if (!header) return [];
  try {
    return parseList(header).flatMap(([value, parameters]) => {
      if (typeof value !== 'string') return [];
      const name = value.trim();
      if (!name || GREASE_BRAND.test(name)) return [];
      const version = parameters.get('v');
      return [{ name, version: typeof version === 'string' && version ? version : null }];
    });
  } catch {
    return [];
  }
}

function hintString(header: string | undefined): string | null {
  if (!header) return null;
  try {
    const [value] = parseItem(header);
    return typeof value === 'string' ? value.trim() : null;
  } catch {
    return null;
  }
}

function hintBoolean(header: string | undefined): boolean | null {
  if (!header) return null;
  try {
    const [value] = parseItem(header);
    return typeof value === 'boolean' ? value : null;
  } catch {
    return null;
  }
}

/**
 * Sec-CH-UA-Platform-Version as people name the version. On Windows it is the version of the
 * Universal API contract: 13 and up is Windows 11, 1 to 10 is Windows 10, 0.1 / 0.2 / 0.3 are
 * 7 / 8 / 8.1 (Microsoft's "Detect Windows 11 using User-Agent Client Hints").
 */
function osVersion(platform: string, version: string | null): string | null {
  if (!version) return null;
  if (platform !== 'Windows') return version;
  const [major, minor] = version.split('.').map(Number);
  if (major === undefined || !Number.isInteger(major)) return null;
  if (major >= 13) return '11';
  if (major >= 1) return '10';
  return { 1: '7', 2: '8', 3: '8.1' }[minor ?? -1] ?? null;
}

/** The hints of a request, each kept only when it fits the bound: a cut structured header would not parse. */
export function clientHintsOf(header: (name: string) => string | undefined): ClientHints | null {
  const hints: ClientHints = {};
  let any = false;
  for (const [key, name] of Object.entries(CLIENT_HINT_HEADERS) as Array<[keyof ClientHints, string]>) {
    const value = header(name);
    // Headers are latin1 text and never hold NUL (Node refuses it); PostgreSQL's json would refuse it too.
    if (value === undefined || value.length > MAX_CLIENT_HINT_LENGTH || value.includes('\u0000')) continue;
    hints[key] = value;
    any = true;
  }
  return any ? hints : null;
}
