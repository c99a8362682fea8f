import { isTRPCClientError } from '@trpc/client';
import type { ErrorReason } from '../server/errors';
import { accessTokenExpiresAtMs } from './jwt';
import type { TokenPair, TokenStorage } from './storage';

/** Why the session is over: the server's reason from the refusal of the refresh. */
export type SessionEndReason = ErrorReason | 'unauthorized';

export interface SessionKeeperOptions {
  storage: TokenStorage;
  /** Sends `auth.refresh`; must not go through `authorizedFetch` (it would wait on itself). */
  requestRefresh: (refreshToken: string) => Promise<TokenPair>;
  fetch: typeof globalThis.fetch;
  now: () => number;
  refreshLeewayMs: number;
}

/**
 * Keeps one session's tokens fresh for every call of one client. The rules, all learned
 * from clients that got them wrong (deadlocked locks, refresh storms, replayed tokens):
 * - at most one refresh in flight; every call that needs one awaits that same promise;
 * - a call retries at most once, so a server that keeps saying 401 cannot cause a loop;
 * - before refreshing after a 401, look at the storage: if it already holds other tokens,
 *   someone (another call, another tab) refreshed meanwhile, and presenting the old refresh
 *   token again would at best waste a request and after the grace window end the session.
 */
export function createSessionKeeper({ storage, requestRefresh, fetch, now, refreshLeewayMs }: SessionKeeperOptions) {
  const listeners = new Set<(reason: SessionEndReason) => void>();
  let refreshing: Promise<TokenPair | null> | null = null;

  function refreshOnce(stale: TokenPair): Promise<TokenPair | null> {
    refreshing ??= refresh(stale).finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function refresh(stale: TokenPair): Promise<TokenPair | null> {
    try {
      const fresh = await requestRefresh(stale.refresh_token);
      // Signed out (or signed in again) while this was in flight: do not bring old tokens back.
      if (storage.get()?.refresh_token !== stale.refresh_token) return storage.get();
      storage.set(fresh);
      return fresh;
    } catch (error) {
      const status = isTRPCClientError(error) ? (error.data as { httpStatus?: number } | undefined)?.httpStatus : undefined;
      // Only a 401 means the refresh token is dead for good. A network failure, a 5xx or a
      // suspended organization (403) may pass: keep the tokens and let this call fail as it did.
      if (status !== 401) return null;
      // Another tab sharing the storage moved on meanwhile: its tokens are the ones to try.
      if (storage.get()?.refresh_token !== stale.refresh_token) return storage.get();
      storage.clear();
      const reason = ((error as { data?: { reason?: ErrorReason } }).data?.reason ?? 'unauthorized') as SessionEndReason;
      // Outside this promise: a throwing listener must not fail the calls waiting on the refresh.
      for (const listener of listeners) queueMicrotask(() => listener(reason));
      return null;
    }
  }

  /** The access token to send now, refreshed first when it is about to expire. */
  async function accessTokenForCall(): Promise<string | null> {
    const tokens = storage.get();
    if (!tokens) return null;
    const expiresAtMs = accessTokenExpiresAtMs(tokens.access_token);
    if (expiresAtMs === null || expiresAtMs - now() > refreshLeewayMs) return tokens.access_token;
    // If the early refresh failed for a passing reason, the old token may still have seconds to live.
    return (await refreshOnce(tokens))?.access_token ?? storage.get()?.access_token ?? null;
  }

  /** After the server refused `rejected`: a newer access token to retry with, or null. */
  async function accessTokenAfterRejection(rejected: string): Promise<string | null> {
    const tokens = storage.get();
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

  return {
    authorizedFetch,
    onSessionEnd(listener: (reason: SessionEndReason) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function withBearer(init: RequestInit, accessToken: string | null): RequestInit {
  const headers = new Headers(init.headers);
  if (accessToken !== null) headers.set('authorization', `Bearer ${accessToken}`);
  return { ...init, headers };
}
