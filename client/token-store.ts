import type { SessionEndReason } from './session.js';
import type { TokenPair, TokenStorage } from './storage.js';
import type { TabCoordinator, TokenHandoff } from './tabs.js';

/**
 * The client's one way to its storage: every change it makes, and every change another tab
 * hands over, reaches the listeners (useSession follows sign-in, sign-out and refresh through
 * them), and with a shared storage every change it makes is announced to the other tabs.
 */
export interface TokenStore {
  get(): TokenPair | null;
  set(tokens: TokenPair): void;
  /** Forgets the tokens; with a reason, the session ended (refused for good) rather than being signed out of. */
  clear(ended?: SessionEndReason): void;
  onChange(listener: (tokens: TokenPair | null) => void): () => void;
  onSessionEnd(listener: (reason: SessionEndReason) => void): () => void;
}

export function createTokenStore(storage: TokenStorage, tabs: TabCoordinator | null): TokenStore {
  const changeListeners = new Set<(tokens: TokenPair | null) => void>();
  const endListeners = new Set<(reason: SessionEndReason) => void>();

  // Outside the caller's stack: a throwing listener must not fail a sign-in or the calls waiting on a refresh.
  const changed = (tokens: TokenPair | null) => {
    for (const listener of changeListeners) queueMicrotask(() => listener(tokens));
  };
  const ended = (reason: SessionEndReason) => {
    for (const listener of endListeners) queueMicrotask(() => listener(reason));
  };
  const replacedToken = () => storage.get()?.refresh_token ?? null;

  tabs?.onHandoff((handoff: TokenHandoff) => {
    // The tab that wrote may be ahead of this tab's view of the storage (browsers propagate
    // localStorage between processes asynchronously): take the pair it handed over, but only in
    // place of the very tokens it replaced, so that a late message never undoes a newer change.
    if (replacedToken() === handoff.replaced) {
      if (handoff.tokens) storage.set(handoff.tokens);
      else storage.clear();
    }
    changed(storage.get());
    // Only when the session is gone here too: a message cannot end a session this tab still holds.
    if (handoff.ended && storage.get() === null) ended(handoff.ended);
  });

  return {
    get: () => storage.get(),
    set(tokens) {
      const replaced = replacedToken();
      storage.set(tokens);
      tabs?.announce({ replaced, tokens });
      changed(tokens);
    },
    clear(reason) {
      const replaced = replacedToken();
      storage.clear();
      tabs?.announce({ replaced, tokens: null, ...(reason ? { ended: reason } : {}) });
      changed(null);
      if (reason) ended(reason);
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    onSessionEnd(listener) {
      endListeners.add(listener);
      return () => endListeners.delete(listener);
    },
  };
}
