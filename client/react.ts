import { createContext, createElement, useContext, useEffect, useState, useSyncExternalStore, type ReactElement, type ReactNode } from 'react';
import type { GatehouseClient } from './client.js';
import { createSessionState, LOADING, type SessionSnapshot } from './session-state.js';

export type { SessionOrganization, SessionSnapshot, SessionUser } from './session-state.js';

/** What `useSession()` returns: the session as the UI shows it, and a way to ask the server again. */
export type UseSessionResult = SessionSnapshot & {
  /** Asks `auth.me` again: after an `error`, or after the user or their organization changed. */
  refetch(): void;
};

interface GatehouseContextValue {
  client: GatehouseClient;
  session: ReturnType<typeof createSessionState>;
}

const GatehouseContext = createContext<GatehouseContextValue | null>(null);

export interface GatehouseProviderProps {
  client: GatehouseClient;
  /**
   * A TanStack Query client (or anything with `clear()`): cleared whenever the signed-in session
   * changes (sign-out, the end of the session, another user signing in), so that no component
   * shows the previous user's data from the cache. A refresh keeps the cache.
   */
  queryClient?: { clear(): void };
  children?: ReactNode;
}

/** Makes `client` and its session available to `useGatehouse()` and `useSession()` below it. */
export function GatehouseProvider({ client, queryClient, children }: GatehouseProviderProps): ReactElement {
  const [value, setValue] = useState<GatehouseContextValue>(() => ({ client, session: createSessionState(client) }));
  const current = value.client === client ? value : { client, session: createSessionState(client) };
  if (current !== value) setValue(current);

  useEffect(() => {
    if (!queryClient) return;
    let sessionId = current.session.getSnapshot().sessionId;
    return current.session.subscribe(() => {
      const next = current.session.getSnapshot().sessionId;
      if (next !== sessionId) {
        sessionId = next;
        queryClient.clear();
      }
    });
  }, [current, queryClient]);

  return createElement(GatehouseContext.Provider, { value: current }, children);
}

function useGatehouseContext(hook: string): GatehouseContextValue {
  const value = useContext(GatehouseContext);
  if (!value) throw new Error(`${hook} must be called inside <GatehouseProvider client={…}>`);
  return value;
}

/** The client given to the nearest `GatehouseProvider`: `useGatehouse().signIn(…)`, `.auth.sessions.query()`, … */
export function useGatehouse(): GatehouseClient {
  return useGatehouseContext('useGatehouse()').client;
}

/**
 * The signed-in session: `{ status: 'loading' | 'signed-in' | 'signed-out', user, organization,
 * sessionId, error, refetch }`. It follows sign-in, sign-up, sign-out, refreshes and the end of
 * the session (`onSessionEnd`), in this tab and in the others sharing the storage.
 */
export function useSession(): UseSessionResult {
  const { session } = useGatehouseContext('useSession()');
  // On the server there are no tokens to read yet: 'loading' until the browser knows.
  const snapshot = useSyncExternalStore(session.subscribe, session.getSnapshot, () => LOADING);
  return { ...snapshot, refetch: session.refetch };
}
