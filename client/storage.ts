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
