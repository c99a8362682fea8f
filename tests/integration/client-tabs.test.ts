import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouseClient, localStorageTokenStorage, type GatehouseClientOptions, type WebStorage } from '../../client/index';
import { registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

/** A Web Storage of one tab's view; two of them with one key are two tabs whose views may differ (lag). */
function tabStorage(): WebStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
let keys = 0;

/**
 * What tabs tell each other over BroadcastChannel (Node has it; it has no Web Locks, so these
 * clients refresh unlocked, as in older browsers). The Chromium test (tests/browser/client-tabs)
 * has the locks.
 */
describe('tabs hand each other their tokens', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  function tabs() {
    const key = `gatehouse.tabs-test.${++keys}`;
    let refreshes = 0;
    const fetch: typeof globalThis.fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).includes('/trpc/auth.refresh')) refreshes++;
      return globalThis.fetch(input, init);
    };
    const open = (options: Partial<GatehouseClientOptions> = {}) =>
      createGatehouseClient({ url: gate.url, fetch, now: () => gate.clock.now().getTime(), storage: localStorageTokenStorage(key, tabStorage()), ...options });
    return { key, open, refreshes: () => refreshes };
  }

  it('a tab whose view of the storage lags takes the pair another tab handed over, and sends no refresh of its own', async () => {
    const account = await registerAccount(gate);
    const { open, refreshes } = tabs();
    const here = open();
    const there = open();
    await here.signIn(account);
    await settle();
    expect(there.tokens()).toEqual(here.tokens());

    gate.clock.advanceSeconds(15 * 60);
    await here.auth.me.query();
    await settle();
    expect(there.tokens()).toEqual(here.tokens());
    expect((await there.auth.me.query()).user.email).toBe(account.email);
    expect(refreshes()).toBe(1);
  });

  it('a late or forged message neither undoes a newer change nor ends a session the tab still holds', async () => {
    const account = await registerAccount(gate);
    const { key, open } = tabs();
    const tab = open();
    await tab.signIn(account);
    const held = tab.tokens();
    const ended: string[] = [];
    tab.onSessionEnd((reason) => ended.push(reason));

    const other = new BroadcastChannel(`gatehouse:${key}`);
    other.postMessage({ replaced: 'a refresh token of long ago', tokens: { access_token: 'x.y.z', refresh_token: 'forged' } });
    other.postMessage({ replaced: null, tokens: null, ended: 'session_revoked' });
    other.postMessage({ replaced: 42, tokens: 'not a pair' });
    other.postMessage('noise');
    await settle();
    other.close();

    expect(tab.tokens()).toEqual(held);
    expect(ended).toEqual([]);
    expect((await tab.auth.me.query()).user.email).toBe(account.email);
  });

  it('without localStorage (rendering on a server), localStorageTokenStorage reads as signed out', async () => {
    expect('localStorage' in globalThis).toBe(false);
    const client = createGatehouseClient({ url: gate.url, storage: localStorageTokenStorage() });
    expect(client.tokens()).toBeNull();
    await expect(client.signIn(await registerAccount(gate))).rejects.toThrow(/there is no localStorage here/);
  });
});
