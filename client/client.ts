import { createTRPCClient, httpLink, type TRPCClient } from '@trpc/client';
import type { AppRouter } from './app-router.js';
import { createSessionKeeper, type SessionEndReason } from './session.js';
import { memoryTokenStorage, type TokenPair, type TokenStorage } from './storage.js';
import { createTabCoordinator } from './tabs.js';
import { createTokenStore } from './token-store.js';

export interface GatehouseClientOptions {
  /** Where Gatehouse answers, e.g. `https://auth.example.com` (the client calls `<url>/trpc`). */
  url: string;
  /** Sent as `x-api-key` on every call, as the API document's examples do. */
  apiKey?: string;
  /**
   * Where the token pair is kept; in memory unless given. `localStorageTokenStorage()` keeps it
   * across reloads and shares it between tabs, which then refresh one at a time.
   */
  storage?: TokenStorage;
  /** The fetch to use (a test's counter, a proxy, a polyfill); the global one unless given. */
  fetch?: typeof globalThis.fetch;
  /** Milliseconds since the epoch; injectable so that expiry is tested without waiting. */
  now?: () => number;
  /** Refresh this long before the access token expires. Default 30 seconds. */
  refreshLeewaySeconds?: number;
  /**
   * How many times a refresh refused with 503 (the server or its database is unavailable) or
   * lost to a network error is sent again with the same token, after `Retry-After`. Default 8, enough to outlast a failover of about 20 s.
   * Such a failure never ends the session.
   */
  refreshRetries?: number;
  /** Waits between those tries; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface GatehouseClient {
  /** Typed procedures: `gate.auth.sessions.query()`, `gate.auth.revokeSession.mutate({ sessionId })`, ... */
  auth: TRPCClient<AppRouter>['auth'];
  apiKeys: TRPCClient<AppRouter>['apiKeys'];
  webhooks: TRPCClient<AppRouter>['webhooks'];
  /**
   * The whole tRPC client, with the same tokens and refreshes: what tRPC's React Query
   * integration takes (`<TRPCProvider trpcClient={gate.trpc} …>`).
   */
  trpc: TRPCClient<AppRouter>;
  /** Signs in and stores the token pair. */
  signIn(credentials: { email: string; password: string }): Promise<void>;
  /** Creates an organization and its first user, and stores the token pair. */
  signUp(input: Parameters<TRPCClient<AppRouter>['auth']['register']['mutate']>[0]): Promise<void>;
  /** Ends this session on the server and forgets its tokens. */
  signOut(): Promise<void>;
  tokens(): TokenPair | null;
  /**
   * Called when a refresh is refused for good (the tokens are already cleared), in this tab or,
   * with a storage shared between tabs, in another. Returns an unsubscribe.
   */
  onSessionEnd(listener: (reason: SessionEndReason) => void): () => void;
  /**
   * Called after every change of the tokens: sign-in, sign-up, refresh, sign-out, the end of the
   * session, and the same in other tabs sharing the storage. Returns an unsubscribe.
   */
  onTokensChange(listener: (tokens: TokenPair | null) => void): () => void;
}

export function createGatehouseClient(options: GatehouseClientOptions): GatehouseClient {
  const url = `${options.url.replace(/\/+$/, '')}/trpc`;
  const storage = options.storage ?? memoryTokenStorage();
  const tabs = storage.sharedKey !== undefined ? createTabCoordinator(storage.sharedKey) : null;
  const store = createTokenStore(storage, tabs);
  const fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers = options.apiKey ? { 'x-api-key': options.apiKey } : {};

  // Calls that carry no access token (sign-in, refresh, logout) bypass the refresh logic:
  // a refresh waiting on the refresh logic would wait on itself.
  const plain = createTRPCClient<AppRouter>({ links: [httpLink({ url, headers, fetch })] });

  const keeper = createSessionKeeper({
    store,
    tabs,
    fetch,
    requestRefresh: (refreshToken) => plain.auth.refresh.mutate({ refresh_token: refreshToken }),
    now: options.now ?? Date.now,
    refreshLeewayMs: (options.refreshLeewaySeconds ?? 30) * 1000,
    refreshRetries: options.refreshRetries ?? 8,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  });

  // No batching: each call gets its own HTTP status, so a 401 is seen (and retried) per call.
  const authorized = createTRPCClient<AppRouter>({
    links: [httpLink({ url, headers, fetch: keeper.authorizedFetch })],
  });

  return {
    auth: authorized.auth,
    apiKeys: authorized.apiKeys,
    webhooks: authorized.webhooks,
    trpc: authorized,
    async signIn(credentials) {
      store.set(await plain.auth.login.mutate(credentials));
    },
    async signUp(input) {
      store.set(await plain.auth.register.mutate(input));
    },
    async signOut() {
      const tokens = store.get();
      // Forget first: a sign-out must hold locally even when the server cannot be reached.
      store.clear();
      if (tokens) await plain.auth.logout.mutate({ refresh_token: tokens.refresh_token });
    },
    tokens: () => store.get(),
    onSessionEnd: store.onSessionEnd,
    onTokensChange: store.onChange,
  };
}
