import { isTRPCClientError } from '@trpc/client';
import type { ErrorReason } from './app-router.js';
import { accessTokenExpiresAtMs } from './jwt.js';
import type { TokenPair } from './storage.js';
import type { TabCoordinator } from './tabs.js';
import type { TokenStore } from './token-store.js';

/** Why the session is over: the server's reason from the refusal of the refresh. */
export type SessionEndReason = ErrorReason | 'unauthorized';

export interface SessionKeeperOptions {
  store: TokenStore;
  /** Set when the storage is shared between tabs: refreshes then run one tab at a time. */
  tabs: TabCoordinator | null;
  /** Sends `auth.refresh`; must not go through `authorizedFetch` (it would wait on itself). */
  requestRefresh: (refreshToken: string) => Promise<TokenPair>;
  fetch: typeof globalThis.fetch;
  now: () => number;
  refreshLeewayMs: number;
  /** How often a refresh that failed for a passing reason (503, network) is tried again with the same token. */
  refreshRetries: number;
  /** Waits between those tries; injectable so that tests do not sleep. */
  sleep: (ms: number) => Promise<void>;
}

/** Retry-After is honoured up to this; a server asking for longer is asked again sooner. */
const MAX_REFRESH_RETRY_WAIT_MS = 30_000;
const DEFAULT_REFRESH_RETRY_WAIT_MS = 1_000;

/**
 * A refresh that may succeed if sent again with the same token: the server was unavailable
 * (503, during a database failover) or the request never got an answer. The same token is
 * safe to send again: within the grace window it gets the same successor, and time the
 * database was unavailable does not count against that window.
 */
function passingFailure(error: unknown): { retryAfterMs: number } | null {
  if (!isTRPCClientError(error)) return null;
  const status = (error.data as { httpStatus?: number } | undefined)?.httpStatus;
  const response = (error.meta as { response?: Response } | undefined)?.response;
  if (status !== undefined && status !== 503) return null;
  if (status === undefined && response !== undefined && response.status !== 503) return null;
  const seconds = Number(response?.headers.get('retry-after'));
  const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_REFRESH_RETRY_WAIT_MS;
  return { retryAfterMs: Math.min(retryAfterMs, MAX_REFRESH_RETRY_WAIT_MS) };
}

/**
 * Keeps one session's tokens fresh for every call of one client. The rules, all learned
 * from clients that got them wrong (deadlocked locks, refresh storms, replayed tokens):
 * - at most one refresh in flight; every call that needs one awaits that same promise;
 * - a call retries at most once, so a server that keeps saying 401 cannot cause a loop;
 * - before refreshing after a 401, look at the storage: if it already holds other tokens,
 *   someone (another call, another tab) refreshed meanwhile, and presenting the old refresh
 *   token again would at best waste a request and after the grace window end the session;
 * - with a storage shared between tabs, the refresh runs under a lock that spans the tabs, and
 *   the storage is read again once the lock is held: the tab that waited finds the new pair.
 */
export function createSessionKeeper({
  store,
  tabs,
  requestRefresh,
  fetch,
  now,
  refreshLeewayMs,
  refreshRetries,
  sleep,
}: SessionKeeperOptions) {
  let refreshing: Promise<TokenPair | null> | null = null;

  function refreshOnce(stale: TokenPair): Promise<TokenPair | null> {
    refreshing ??= (tabs ? tabs.exclusive(() => refreshUnlessDone(stale)) : refresh(stale)).finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  /** Under the tabs' lock: another tab may have refreshed, or signed out, while this one waited. */
  async function refreshUnlessDone(stale: TokenPair): Promise<TokenPair | null> {
    const current = store.get();
    if (current?.refresh_token !== stale.refresh_token) return current;
    return refresh(stale);
  }

  /** The refresh itself, tried again after Retry-After while it fails for a passing reason. */
  async function requestRefreshPatiently(refreshToken: string): Promise<TokenPair> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await requestRefresh(refreshToken);
      } catch (error) {
        const passing = passingFailure(error);
        if (!passing || attempt >= refreshRetries) throw error;
        await sleep(passing.retryAfterMs);
        // Signed out or refreshed elsewhere meanwhile: nothing left to retry.
        if (store.get()?.refresh_token !== refreshToken) throw error;
      }
    }
  }

  async function refresh(stale: TokenPair): Promise<TokenPair | null> {
    try {
      const fresh = await requestRefreshPatiently(stale.refresh_token);
      // Signed out (or signed in again) while this was in flight: do not bring old tokens back.
      if (store.get()?.refresh_token !== stale.refresh_token) return store.get();
      store.set(fresh);
      return fresh;
    } catch (error) {
      const status = isTRPCClientError(error) ? (error.data as { httpStatus?: number } | undefined)?.httpStatus : undefined;
      // Only a 401 means the refresh token is dead for good. A network failure, a 5xx or a
      // suspended organization (403) may pass: keep the tokens and let this call fail as it did.
      if (status !== 401) return null;
      // Another tab sharing the storage moved on meanwhile: its tokens are the ones to try.
      if (store.get()?.refresh_token !== stale.refresh_token) return store.get();
      const reason = ((error as { data?: { reason?: ErrorReason } }).data?.reason ?? 'unauthorized') as SessionEndReason;
      store.clear(reason);
      return null;
    }
  }

  /** The access token to send now, refreshed first when it is about to expire. */
  async function accessTokenForCall(): Promise<string | null> {
    const tokens = store.get();
    if (!tokens) return null;
    const expiresAtMs = accessTokenExpiresAtMs(tokens.access_token);
    if (expiresAtMs === null || expiresAtMs - now() > refreshLeewayMs) return tokens.access_token;
    // If the early refresh failed for a passing reason, the old token may still have seconds to live.
    return (await refreshOnce(tokens))?.access_token ?? store.get()?.access_token ?? null;
  }

  /** After the server refused `rejected`: a newer access token to retry with, or null. */
  async function accessTokenAfterRejection(rejected: string): Promise<string | null> {
    const tokens = store.get();
    if (!tokens) return null;
    if (tokens.access_token !== rejected) return tokens.access_token;
    return (await refreshOnce(tokens))?.access_token ?? null;
  }

  /** `fetch` with the Bearer token, refreshed ahead of expiry and once more on a 401. */
  async function authorizedFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const sent = await accessTokenForCall();
    const response = await fetch(input, withBearer(init, sent));
    if (response.status !== 401 || sent === null) return response;
    const retryWith = await accessTokenAfterRejection(sent);
    if (retryWith === null) return response;
    await response.body?.cancel();
    return fetch(input, withBearer(init, retryWith));
  }

  return { authorizedFetch };
}

function withBearer(init: RequestInit, accessToken: string | null): RequestInit {
  const headers = new Headers(init.headers);
  if (accessToken !== null) headers.set('authorization', `Bearer ${accessToken}`);
  return { ...init, headers };
}
