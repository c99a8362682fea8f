import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../../errors';

/** Resolves a host name to every address it has (A and AAAA). Injectable, so tests can play DNS. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

export const systemResolveHost: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

export const WEBHOOK_URL_MAX_LENGTH = 2048;

/**
 * Only globally routable unicast addresses: no loopback, private (RFC 1918), carrier-grade
 * NAT, link-local (cloud metadata at 169.254.169.254), unique-local (fc00::/7), multicast,
 * reserved or documentation ranges. An IPv4 address wrapped in IPv6 (::ffff:127.0.0.1,
 * NAT64, 6to4, Teredo) is refused outright rather than unwrapped and guessed at.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.parse(address).range() === 'unicast';
}

/** The URL's host as an address or name, without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Parses and checks what can be checked without the network. Throws AppError('webhook_url_…'). */
export function parseWebhookUrl(raw: string, { allowPrivate }: { allowPrivate: boolean }): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('webhook_url_invalid');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('webhook_url_invalid');
  // Credentials in a URL end up in listings and logs: the signature is the authentication.
  if (url.username || url.password || !url.hostname) throw new AppError('webhook_url_invalid');
  if (url.protocol === 'http:' && !allowPrivate) throw new AppError('webhook_url_not_allowed');
  return url;
}

/**
 * The addresses to connect to for this URL, every one of them checked: a name with one
 * private address among public ones is refused as a whole (DNS rebinding picks its moment).
 * Called at creation and again before every delivery; the delivery then connects to
 * exactly these addresses, never resolving the name a second time.
 */
export async function resolveAllowedAddresses(
  url: URL,
  { allowPrivate, resolveHost }: { allowPrivate: boolean; resolveHost: ResolveHost },
): Promise<string[]> {
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await resolveHost(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) throw new AppError('webhook_url_not_allowed', `url: ${host} does not resolve`);
  }
  if (!allowPrivate && !addresses.every(isPublicAddress)) throw new AppError('webhook_url_not_allowed');
  return addresses;
}
