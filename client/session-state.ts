import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from './app-router.js';
import type { GatehouseClient } from './client.js';
import { readAccessToken } from './jwt.js';

type Me = inferRouterOutputs<AppRouter>['auth']['me'];
export type SessionUser = Me['user'];
export type SessionOrganization = Me['organization'];

/**
 * Who is signed in, as a UI shows it. `loading` while the client holds tokens but has not yet
 * learnt whose they are (`auth.me`); `error` says why that is taking long (the server cannot be
 * reached, say), and the next change of tokens or `refetch()` asks again.
 */
export type SessionSnapshot = LoadingSession | SignedInSession | SignedOutSession;
export interface LoadingSession { status: 'loading'; user: null; organization: null; sessionId: string | null; error: unknown }
export interface SignedInSession { status: 'signed-in'; user: SessionUser; organization: SessionOrganization; sessionId: string | null; error: null }
export interface SignedOutSession { status: 'signed-out'; user: null; organization: null; sessionId: null; error: null }

const SIGNED_OUT: SignedOutSession = { status: 'signed-out', user: null, organization: null, sessionId: null, error: null };
export const LOADING: LoadingSession = { status: 'loading', user: null, organization: null, sessionId: null, error: null };

/**
 * Follows a client's session for a UI (framework-free; `useSession` is this in React): the
 * tokens' changes (sign-in, refresh, sign-out, the end of the session, in this tab or another)
 * decide signed-in or signed-out, and one `auth.me` per session fills in the user. A refresh
 * keeps the session, so it changes nothing that is shown.
 */
export function createSessionState(client: GatehouseClient) {
  const listeners = new Set<() => void>();
  // Tokens held already (a reload): 'loading' from the first render, never a flash of 'signed-out'.
  const held = client.tokens();
  let snapshot: SessionSnapshot = held ? { ...LOADING, sessionId: readAccessToken(held.access_token).sessionId } : SIGNED_OUT;
  let stopFollowing: (() => void) | null = null;
  // Each `auth.me` asked gets a number; only the answer to the latest one, while following, counts.
  let asked = 0;
  let pending = false;

  const publish = (next: SessionSnapshot) => {
    snapshot = next;
    for (const listener of listeners) listener();
  };

  function load(sessionId: string | null) {
    const ask = ++asked;
    pending = true;
    const current = () => ask === asked && stopFollowing !== null;
    client.auth.me.query().then(
      (me) => {
        if (!current()) return;
        pending = false;
        if (client.tokens()) publish({ status: 'signed-in', user: me.user, organization: me.organization, sessionId, error: null });
      },
      (error: unknown) => {
        if (!current()) return;
        pending = false;
        // A session that ended on the way has already become 'signed-out' through the tokens.
        if (client.tokens()) publish({ ...LOADING, sessionId, error });
      },
    );
  }

  /** Brings the snapshot in line with the tokens held now. */
  function follow() {
    const tokens = client.tokens();
    if (!tokens) {
      asked++;
      pending = false;
      if (snapshot.status !== 'signed-out') publish(SIGNED_OUT);
      return;
    }
    const { sessionId } = readAccessToken(tokens.access_token);
    const sameSession = snapshot.status !== 'signed-out' && sessionId !== null && snapshot.sessionId === sessionId;
    // A refresh (in this tab or another) keeps the session: nothing to show differently.
    if (sameSession && (snapshot.status === 'signed-in' || pending)) return;
    if (!sameSession || snapshot.error === null) publish({ ...LOADING, sessionId });
    load(sessionId);
  }

  return {
    getSnapshot: () => snapshot,
    /** Follows the client from the first subscriber to the last (React's StrictMode subscribes twice). */
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      if (!stopFollowing) {
        stopFollowing = client.onTokensChange(follow);
        pending = false;
        follow();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && stopFollowing) {
          stopFollowing();
          stopFollowing = null;
        }
      };
    },
    /** Asks `auth.me` again: after an `error`, or when the user or their organization changed. */
    refetch() {
      const tokens = client.tokens();
      if (tokens && stopFollowing) load(readAccessToken(tokens.access_token).sessionId);
    },
  };
}
