import type { SessionEndReason } from './session.js';
import type { TokenPair } from './storage.js';

/**
 * What a tab tells the others of its origin when it changed the shared tokens: the refresh token
 * it replaced (null when there was none) and what replaced it (null: signed out, or the session
 * ended for `ended`).
 */
export interface TokenHandoff {
  replaced: string | null;
  tokens: TokenPair | null;
  ended?: SessionEndReason;
}

/** Cross-tab coordination for one shared storage; see `TokenStorage.sharedKey`. */
export interface TabCoordinator {
  /** Runs `task` while no other tab of this storage runs one; at once where Web Locks are missing. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  announce(handoff: TokenHandoff): void;
  onHandoff(listener: (handoff: TokenHandoff) => void): () => void;
}

/** The parts of the Web Locks and BroadcastChannel APIs used here; typed locally so that no DOM typings are needed. */
interface LockManagerLike {
  request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>): Promise<T>;
}
interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  unref?(): void;
}
type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike;

/**
 * How long a tab waits for another tab's refresh before refreshing on its own (today's behaviour,
 * safe thanks to the server's grace window). Bounds the wait on a tab whose request hangs.
 */
export const TAB_LOCK_WAIT_MS = 10_000;

/**
 * Where Web Locks exist (every current browser), only one tab refreshes at a time: the others
 * wait, then find the new pair in the shared storage and send no request. BroadcastChannel hands
 * the new pair (or the end of the session) to every other tab, for their listeners, and for the
 * case where a tab's view of the storage lags behind the tab that wrote it. Without either API
 * (Node, old browsers) the client behaves as it always has: each refresh goes out, and the
 * server's grace window makes concurrent refreshes of one token converge.
 */
export function createTabCoordinator(sharedKey: string): TabCoordinator {
  const scope = globalThis as unknown as { navigator?: { locks?: Partial<LockManagerLike> }; BroadcastChannel?: BroadcastChannelConstructor };
  const locks = typeof scope.navigator?.locks?.request === 'function' ? (scope.navigator.locks as LockManagerLike) : null;
  const channel = typeof scope.BroadcastChannel === 'function' ? new scope.BroadcastChannel(`gatehouse:${sharedKey}`) : null;
  // Node's channels keep the process alive; a browser tab's do not.
  channel?.unref?.();
  const listeners = new Set<(handoff: TokenHandoff) => void>();
  channel?.addEventListener('message', ({ data }) => {
    const handoff = asHandoff(data);
    if (handoff) for (const listener of listeners) listener(handoff);
  });
  const lockName = `gatehouse:refresh:${sharedKey}`;

  return {
    async exclusive(task) {
      if (!locks) return task();
      const waited = new AbortController();
      const timer = setTimeout(() => waited.abort(), TAB_LOCK_WAIT_MS);
      let acquired = false;
      try {
        return await locks.request(lockName, { signal: waited.signal }, () => {
          acquired = true;
          clearTimeout(timer);
          return task();
        });
      } catch (error) {
        // The wait ran out (the holding tab hangs): go ahead unlocked rather than fail the call.
        if (!acquired) return task();
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    announce(handoff) {
      channel?.postMessage(handoff);
    },
    onHandoff(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function asHandoff(data: unknown): TokenHandoff | null {
  if (typeof data !== 'object' || data === null) return null;
  const { replaced, tokens, ended } = data as Record<string, unknown>;
  if (replaced !== null && typeof replaced !== 'string') return null;
  const pair = tokens as Partial<TokenPair> | null | undefined;
  if (pair !== null && (typeof pair?.access_token !== 'string' || typeof pair.refresh_token !== 'string')) return null;
  return {
    replaced,
    tokens: pair === null ? null : { access_token: pair.access_token!, refresh_token: pair.refresh_token! },
    ...(typeof ended === 'string' ? { ended: ended as SessionEndReason } : {}),
  };
}
