/** What Gatehouse hands out at sign-in and at every refresh. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

/**
 * Where the client keeps its token pair. Synchronous on purpose: `tokens()` answers at once,
 * and a refresh can compare what is stored with what it sent without awaiting anything, so
 * no other call can slip in between (that gap is where multi-tab refresh races come from).
 * A storage shared by several clients (localStorage across tabs) is fine: each call reads it afresh.
 */
export interface TokenStorage {
  get(): TokenPair | null;
  set(tokens: TokenPair): void;
  clear(): void;
  /**
   * Names a storage that the tabs of one origin share (its localStorage key, say). Clients whose
   * storages have the same `sharedKey` refresh one at a time across tabs (Web Locks) and tell
   * each other about new tokens and ended sessions (BroadcastChannel). Unset: the storage
   * belongs to one client, and nothing is coordinated.
   */
  readonly sharedKey?: string;
}

/** The default: tokens live as long as the client object. */
export function memoryTokenStorage(initial: TokenPair | null = null): TokenStorage {
  let tokens = initial;
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next;
    },
    clear: () => {
      tokens = null;
    },
  };
}

/** The part of the Web Storage API the client uses (`window.localStorage` has it). */
export interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Tokens in `localStorage` under `key`: the user stays signed in across reloads, every tab of the
 * origin shares the session, and the tabs coordinate their refreshes (`sharedKey` is `key`).
 * Any script of the page can read localStorage: keep a strict Content-Security-Policy.
 * A value that is not a token pair (written by something else, or cut short) reads as none, and
 * so does a missing localStorage (server-side rendering).
 */
export function localStorageTokenStorage(key = 'gatehouse.tokens', storage?: WebStorage): TokenStorage {
  const available = () => storage ?? (globalThis as { localStorage?: WebStorage }).localStorage;
  const store = (): WebStorage => {
    const found = available();
    if (!found) throw new Error('localStorageTokenStorage: there is no localStorage here (pass one, or use memoryTokenStorage)');
    return found;
  };
  return {
    sharedKey: key,
    get() {
      // Rendering on a server, where there is no localStorage: nobody is signed in there.
      const text = available()?.getItem(key) ?? null;
      if (text === null) return null;
      try {
        const value = JSON.parse(text) as Partial<TokenPair> | null;
        if (typeof value?.access_token !== 'string' || typeof value.refresh_token !== 'string') return null;
        return { access_token: value.access_token, refresh_token: value.refresh_token };
      } catch {
        return null;
      }
    },
    set(tokens) {
      store().setItem(key, JSON.stringify({ access_token: tokens.access_token, refresh_token: tokens.refresh_token }));
    },
    clear() {
      store().removeItem(key);
    },
  };
}
