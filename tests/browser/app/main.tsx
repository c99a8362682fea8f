/**
 * A frontend as a team would write it with the client package: React, TanStack Query through
 * tRPC's integration, tokens in localStorage. Built with Vite by tests/browser/client-page.ts;
 * `?gatehouse=<url>` says where Gatehouse answers. `window.gatehouseTest` lets the test drive it.
 */
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createGatehouseClient, localStorageTokenStorage, type AppRouter, type GatehouseClient } from '@gatehouse/client';
import { GatehouseProvider, useGatehouse, useSession } from '@gatehouse/client/react';

/** What the test reads and calls in the page. */
export interface PageHooks {
  gate: GatehouseClient;
  /** Reasons given to onSessionEnd in this page. */
  ended: string[];
  /** Moves this page's clock, as the server's clock is moved. */
  advanceClock(ms: number): void;
  /** `count` calls of auth.me at once; the emails they answered. */
  me(count: number): Promise<string[]>;
}

// The page's globals, typed here: the project typechecks without the DOM library.
const page = globalThis as unknown as {
  location: { search: string };
  document: { getElementById(id: string): Element | null };
  gatehouseTest: PageHooks;
};

const valueOf = (target: unknown) => (target as { value: string }).value;

const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();
let clockOffsetMs = 0;
const gate = createGatehouseClient({
  url: new URLSearchParams(page.location.search).get('gatehouse') ?? '',
  storage: localStorageTokenStorage('gatehouse.tokens'),
  now: () => Date.now() + clockOffsetMs,
});
const ended: string[] = [];
gate.onSessionEnd((reason) => ended.push(reason));
page.gatehouseTest = {
  gate,
  ended,
  advanceClock: (ms) => {
    clockOffsetMs += ms;
  },
  me: async (count) => Promise.all(Array.from({ length: count }, async () => (await gate.auth.me.query()).user.email)),
};
const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });

function SignIn() {
  const client = useGatehouse();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        client.signIn({ email, password }).catch((error: unknown) => setFailure(String(error)));
      }}
    >
      <input aria-label="Email" value={email} onChange={(event) => setEmail(valueOf(event.target))} />
      <input aria-label="Password" type="password" value={password} onChange={(event) => setPassword(valueOf(event.target))} />
      <button type="submit">Sign in</button>
      {failure && <p role="alert">{failure}</p>}
    </form>
  );
}

function Sessions() {
  const trpc = useTRPC();
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  if (!sessions.data) return <p>Loading sessions…</p>;
  return (
    <ul aria-label="Sessions">
      {sessions.data.sessions.map(({ id, current, device }) => (
        <li key={id}>
          {current ? 'This device' : 'Other device'}: {device.browser ?? '?'} {device.browserVersion ?? ''} on {device.os ?? '?'}{' '}
          {device.osVersion ?? ''} ({device.type ?? '?'})
        </li>
      ))}
    </ul>
  );
}

function App() {
  const session = useSession();
  const client = useGatehouse();
  return (
    <main>
      <p aria-label="Status">{session.status}</p>
      {session.status === 'signed-out' && <SignIn />}
      {session.status === 'signed-in' && (
        <>
          <p aria-label="User">
            {session.user.email} of {session.organization.name}
          </p>
          <button onClick={() => void client.signOut()}>Sign out</button>
          <Sessions />
        </>
      )}
    </main>
  );
}

createRoot(page.document.getElementById('root')!).render(
  <QueryClientProvider client={queryClient}>
    <GatehouseProvider client={gate} queryClient={queryClient}>
      <TRPCProvider trpcClient={gate.trpc} queryClient={queryClient}>
        <App />
      </TRPCProvider>
    </GatehouseProvider>
  </QueryClientProvider>,
);
