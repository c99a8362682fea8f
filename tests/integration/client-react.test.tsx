// First: a jsdom page, before Testing Library looks for it.
import '../helpers/dom';
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { StrictMode } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createGatehouseClient,
  localStorageTokenStorage,
  memoryTokenStorage,
  type AppRouter,
  type GatehouseClient,
  type GatehouseClientOptions,
  type WebStorage,
} from '../../client/index';
import { GatehouseProvider, useSession } from '../../client/react';
import { expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

/** tRPC's TanStack Query integration, set up as its documentation does, on the package's AppRouter. */
const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** jsdom's localStorage and text; the tests typecheck without the DOM library, as the client itself does. */
const pageStorage = () => (globalThis as unknown as { localStorage: WebStorage & { clear(): void } }).localStorage;
const textOf = (element: unknown) => (element as { textContent: string | null }).textContent ?? '';

/** Shows the session, and records every status it rendered, so that a flash of another state is seen. */
function SessionView({ rendered }: { rendered: string[] }) {
  const session = useSession();
  rendered.push(session.status);
  return (
    <p>
      status: {session.status}; user: {session.user?.email ?? '-'}; organization: {session.organization?.name ?? '-'}; session:{' '}
      {session.sessionId ?? '-'}
    </p>
  );
}

function SessionsList() {
  const trpc = useTRPC();
  const session = useSession();
  const sessions = useQuery({ ...trpc.auth.sessions.queryOptions(), enabled: session.status === 'signed-in' });
  if (!sessions.data) return <p>no sessions</p>;
  return (
    <ul>
      {sessions.data.sessions.map((entry) => (
        <li key={entry.id}>
          listed {entry.id} {entry.current ? 'current' : 'other'} on {entry.device.os ?? 'an unknown OS'}
        </li>
      ))}
    </ul>
  );
}

describe('React bindings: GatehouseProvider and useSession, against a running Gatehouse', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());
  afterEach(() => {
    cleanup();
    pageStorage().clear();
  });

  const clientWith = (options: Partial<GatehouseClientOptions> = {}): GatehouseClient =>
    createGatehouseClient({ url: gate.url, now: () => gate.clock.now().getTime(), ...options });

  const showSession = (client: GatehouseClient) => {
    const rendered: string[] = [];
    render(
      <StrictMode>
        <GatehouseProvider client={client}>
          <SessionView rendered={rendered} />
        </GatehouseProvider>
      </StrictMode>,
    );
    return rendered;
  };

  const sessionIdOf = async (account: Account) => {
    const listed = await gate.post('/auth/sessions', undefined, account.bearer);
    expectStatus(listed, 200);
    return (listed.body.sessions as Array<{ id: string; current: boolean }>).find((session) => session.current)!.id;
  };

  it('follows sign-in (loading, then the user, the organization and the session id) and sign-out', async () => {
    const account = await registerAccount(gate);
    const client = clientWith();
    const rendered = showSession(client);
    await screen.findByText(/status: signed-out/);

    await act(() => client.signIn(account));
    const shown = await screen.findByText(new RegExp(`status: signed-in; user: ${account.email}; organization: Test Org`));
    const sessionId = /session: (\S+)/.exec(textOf(shown))![1]!;
    const listed = await client.auth.sessions.query();
    expect(listed.sessions.find((session) => session.current)!.id).toBe(sessionId);
    expect(rendered).toContain('loading');

    await act(() => client.signOut());
    await screen.findByText('status: signed-out; user: -; organization: -; session: -');
  });

  it('tokens already stored (a reload): loading from the first render, then signed in, never a flash of signed-out', async () => {
    const account = await registerAccount(gate);
    const storage = memoryTokenStorage();
    await clientWith({ storage }).signIn(account);
    const rendered = showSession(clientWith({ storage }));
    expect(rendered[0]).toBe('loading');
    await screen.findByText(new RegExp(`status: signed-in; user: ${account.email}`));
    expect(rendered).not.toContain('signed-out');
  });

  it('a refresh keeps the session on screen: same session id, no loading in between', async () => {
    const account = await registerAccount(gate);
    const client = clientWith();
    await client.signIn(account);
    const rendered = showSession(client);
    const before = await screen.findByText(/status: signed-in/);
    const shownBefore = textOf(before);
    const tokensBefore = client.tokens();
    rendered.length = 0;

    gate.clock.advanceSeconds(15 * 60);
    await act(() => client.auth.me.query());
    expect(client.tokens()!.refresh_token).not.toBe(tokensBefore!.refresh_token);
    await act(async () => {});
    expect(textOf(screen.getByText(/status: signed-in/))).toBe(shownBefore);
    // Whatever rendered again (nothing needs to) rendered the session as it was.
    expect(rendered.filter((status) => status !== 'signed-in')).toEqual([]);
  });

  it('the end of the session (onSessionEnd) shows signed-out, with the reason given to onSessionEnd', async () => {
    const account = await registerAccount(gate);
    const client = clientWith();
    await client.signIn(account);
    const ended: string[] = [];
    client.onSessionEnd((reason) => ended.push(reason));
    showSession(client);
    await screen.findByText(/status: signed-in/);

    // Signed out everywhere from another device; the access token still looks fine to the client.
    expectStatus(await gate.post('/auth/logout-all', undefined, account.bearer), 200);
    await act(() => client.auth.me.query().catch(() => undefined));
    await screen.findByText(/status: signed-out/);
    expect(ended).toEqual(['session_revoked']);
  });

  it('with TanStack Query through tRPC: queries carry the session, and the cache is cleared when the user changes', async () => {
    const first = await registerAccount(gate);
    const second = await registerAccount(gate);
    const client = clientWith();
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={queryClient}>
        <GatehouseProvider client={client} queryClient={queryClient}>
          <TRPCProvider trpcClient={client.trpc} queryClient={queryClient}>
            <SessionsList />
          </TRPCProvider>
        </GatehouseProvider>
      </QueryClientProvider>,
    );
    await screen.findByText('no sessions');

    await act(() => client.signIn(first));
    const firstSessionId = await sessionIdOf({ ...first, bearer: { authorization: `Bearer ${client.tokens()!.access_token}` } });
    await screen.findByText(new RegExp(`listed ${firstSessionId} current`));

    await act(() => client.signOut());
    await screen.findByText('no sessions');
    // Nothing of the first user's is left in the cache (the list's query is there again, empty and disabled).
    expect(queryClient.getQueryCache().getAll().map((query) => query.state.data)).toEqual([undefined]);

    await act(() => client.signIn(second));
    const secondSessionId = await sessionIdOf({ ...second, bearer: { authorization: `Bearer ${client.tokens()!.access_token}` } });
    await screen.findByText(new RegExp(`listed ${secondSessionId} current`));
    expect(screen.queryByText(new RegExp(firstSessionId))).toBeNull();
  });

  it('two clients on one localStorage (two tabs): the other follows sign-in and sign-out, and hears of the end of the session', async () => {
    const account = await registerAccount(gate);
    const here = clientWith({ storage: localStorageTokenStorage('gatehouse.test', pageStorage()) });
    const there = clientWith({ storage: localStorageTokenStorage('gatehouse.test', pageStorage()) });
    const endedThere: string[] = [];
    there.onSessionEnd((reason) => endedThere.push(reason));
    showSession(there);
    await screen.findByText(/status: signed-out/);

    await act(() => here.signIn(account));
    await screen.findByText(new RegExp(`status: signed-in; user: ${account.email}`));
    await act(() => here.signOut());
    await screen.findByText(/status: signed-out/);

    await act(() => here.signIn(account));
    await screen.findByText(/status: signed-in/);
    expectStatus(await gate.post('/auth/logout-all', undefined, { authorization: `Bearer ${here.tokens()!.access_token}` }), 200);
    await act(() => here.auth.me.query().catch(() => undefined));
    await screen.findByText(/status: signed-out/);
    await waitFor(() => expect(endedThere).toEqual(['session_revoked']));
  });
});
