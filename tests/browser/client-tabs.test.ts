import { eq } from 'drizzle-orm';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../server/db/schema';
import type { PageHooks } from './app/main';
import { CHROMIUM } from '../helpers/chromium';
import { buildClientPage, type ClientPage } from '../helpers/client-page';
import { expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
// Every wait is bounded: a broken page fails in seconds instead of hanging the suite.
const STEP_TIMEOUT_MS = 10_000;
const FIFTEEN_MINUTES_MS = 15 * 60 * 1000;
const CALLS_PER_PAGE = 5;

declare const gatehouseTest: PageHooks;

describe('the client package on a page built with Vite, in Chromium', () => {
  let gate: Gatehouse;
  let page: ClientPage;
  let browser: Browser;
  beforeAll(async () => {
    page = await buildClientPage();
    gate = await startGatehouse({ config: { corsOrigins: [page.origin] } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await gate?.close();
    await page?.close();
  });

  /** A browser profile of its own (its own localStorage), with its requests to auth.refresh counted. */
  async function profile(init?: () => void) {
    const context = await browser.newContext();
    if (init) await context.addInitScript(init);
    const refreshes: string[] = [];
    context.on('request', (request) => {
      if (request.method() === 'POST' && request.url().includes('/trpc/auth.refresh')) refreshes.push(request.url());
    });
    const open = async () => {
      const tab = await context.newPage();
      tab.setDefaultTimeout(STEP_TIMEOUT_MS);
      tab.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
      await tab.goto(page.url(gate.url));
      return tab;
    };
    return { context, refreshes, open };
  }

  const status = (tab: Page) => tab.getByLabel('Status');

  async function signedInTabs(context: { open: () => Promise<Page> }, account: Account): Promise<[Page, Page]> {
    const first = await context.open();
    await first.getByLabel('Email').fill(account.email);
    await first.getByLabel('Password').fill(account.password);
    await first.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => status(first).innerText(), { timeout: STEP_TIMEOUT_MS }).toBe('signed-in');
    // The second tab finds the session in the shared localStorage.
    const second = await context.open();
    await expect.poll(() => status(second).innerText(), { timeout: STEP_TIMEOUT_MS }).toBe('signed-in');
    return [first, second];
  }

  /** Both tabs' access tokens expire together: the server's clock and both pages' clocks move past their lifetime. */
  async function expireTokens(tabs: Page[]) {
    gate.clock.advanceSeconds(FIFTEEN_MINUTES_MS / 1000);
    await Promise.all(tabs.map((tab) => tab.evaluate((ms) => gatehouseTest.advanceClock(ms), FIFTEEN_MINUTES_MS)));
  }

  const callBoth = (tabs: Page[]) =>
    Promise.all(tabs.map((tab) => tab.evaluate((count) => gatehouseTest.me(count), CALLS_PER_PAGE))).then((answers) => answers.flat());

  const storedTokens = (tab: Page) => tab.evaluate(() => gatehouseTest.gate.tokens());

  it('a React app: signs in from the form, shows the user and this device from Chromium’s Client Hints, signs out', async () => {
    const account = await registerAccount(gate);
    const browserProfile = await profile();
    try {
      const [tab] = await signedInTabs(browserProfile, account);
      await expect.poll(() => tab.getByLabel('User').innerText(), { timeout: STEP_TIMEOUT_MS }).toBe(`${account.email} of Test Org`);
      const mine = tab.getByRole('listitem').filter({ hasText: 'This device' });
      await mine.waitFor();
      // Debian's Chromium names itself in Sec-CH-UA; the device comes from what it sent at sign-in.
      expect(await mine.innerText()).toMatch(/^This device: Chromium \d+(\.\d+){3} on Linux .*\(desktop\)$/);
      const tokens = await storedTokens(tab);
      const me = await gate.post('/auth/me', undefined, { authorization: `Bearer ${tokens!.access_token}` });
      expectStatus(me, 200);
      const rows = await gate.deps.db.select({ hints: sessions.clientHints }).from(sessions).where(eq(sessions.userId, me.body.user.id));
      // The registration (from Node) and the sign-in from the page.
      const row = rows.find((candidate) => candidate.hints !== null);
      expect(row?.hints).toMatchObject({ brands: expect.stringContaining('"Chromium"'), mobile: '?0', platform: '"Linux"' });
      // Delegated by the page's Permissions-Policy, so Gatehouse got the full version too.
      expect(row?.hints?.fullVersionList).toContain('"Chromium"');

      await tab.getByRole('button', { name: 'Sign out' }).click();
      await expect.poll(() => status(tab).innerText(), { timeout: STEP_TIMEOUT_MS }).toBe('signed-out');
      expect(await storedTokens(tab)).toBeNull();
    } finally {
      await browserProfile.context.close();
    }
  });

  it('two tabs whose access tokens expire together: one refresh request, and both tabs keep working', async () => {
    const account = await registerAccount(gate);
    const browserProfile = await profile();
    try {
      const tabs = await signedInTabs(browserProfile, account);
      const before = await storedTokens(tabs[0]);
      await expireTokens(tabs);

      const emails = await callBoth(tabs);
      expect(emails).toEqual(Array(2 * CALLS_PER_PAGE).fill(account.email));
      expect(browserProfile.refreshes).toHaveLength(1);
      const [first, second] = await Promise.all(tabs.map(storedTokens));
      expect(first).toEqual(second);
      expect(first!.refresh_token).not.toBe(before!.refresh_token);

      // Still working afterwards, with no more refreshes, and nobody saw the session end.
      expect(await callBoth(tabs)).toHaveLength(2 * CALLS_PER_PAGE);
      expect(browserProfile.refreshes).toHaveLength(1);
      for (const tab of tabs) {
        expect(await tab.evaluate(() => gatehouseTest.ended)).toEqual([]);
        expect(await status(tab).innerText()).toBe('signed-in');
      }
    } finally {
      await browserProfile.context.close();
    }
  });

  it('without Web Locks (as in older browsers): refreshes go out as before, and both tabs keep the session', async () => {
    const account = await registerAccount(gate);
    const browserProfile = await profile(() => {
      const { Navigator } = globalThis as unknown as { Navigator: { prototype: object } };
      Object.defineProperty(Navigator.prototype, 'locks', { value: undefined });
    });
    try {
      const tabs = await signedInTabs(browserProfile, account);
      await expireTokens(tabs);
      expect(await callBoth(tabs)).toEqual(Array(2 * CALLS_PER_PAGE).fill(account.email));
      // Concurrent refreshes of one token get the same successor within the grace window.
      expect(browserProfile.refreshes.length).toBeGreaterThanOrEqual(1);
      const [first, second] = await Promise.all(tabs.map(storedTokens));
      expect(first).toEqual(second);
      for (const tab of tabs) expect(await tab.evaluate(() => gatehouseTest.ended)).toEqual([]);
    } finally {
      await browserProfile.context.close();
    }
  });

  it('a session ended while one tab refreshes: the other tab shows signed-out and hears why', async () => {
    const account = await registerAccount(gate);
    const browserProfile = await profile();
    try {
      const [first, second] = await signedInTabs(browserProfile, account);
      const tokens = await storedTokens(first);
      expectStatus(await gate.post('/auth/logout-all', undefined, { authorization: `Bearer ${tokens!.access_token}` }), 200);

      await first.evaluate(() => gatehouseTest.me(1).catch(() => []));
      for (const tab of [first, second]) {
        await expect.poll(() => status(tab).innerText(), { timeout: STEP_TIMEOUT_MS }).toBe('signed-out');
        expect(await tab.evaluate(() => gatehouseTest.ended)).toEqual(['session_revoked']);
      }
      expect(browserProfile.refreshes).toHaveLength(1);
    } finally {
      await browserProfile.context.close();
    }
  });
});
