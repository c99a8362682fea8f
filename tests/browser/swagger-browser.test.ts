import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, registerAccount } from '../helpers/fixtures';
import { CHROMIUM } from '../helpers/chromium';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
// Every wait is bounded: a broken page fails in seconds instead of hanging the suite.
const STEP_TIMEOUT_MS = 10_000;

describe('the Swagger page at /docs, in a real browser', () => {
  let gate: Gatehouse;
  let browser: Browser;
  beforeAll(async () => {
    gate = await startGatehouse();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await gate?.close();
  });

  it('Authorize with an API key, try POST /auth/sessions, see 200 and the session list', async () => {
    const account = await registerAccount(gate, { userAgent: 'Swagger test agent' });
    const apiKey = await createApiKey(gate, account);

    const page = await browser.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    await page.goto(`${gate.url}/docs/`);

    await page.locator('.auth-wrapper button.authorize').click();
    // One form per security scheme; the API key's is the one naming its header.
    const apiKeyForm = page.locator('.modal-ux form').filter({ hasText: 'x-api-key' });
    await apiKeyForm.locator('input').fill(apiKey);
    await apiKeyForm.getByRole('button', { name: 'Apply credentials' }).click();
    await apiKeyForm.getByRole('button', { name: 'Remove authorization' }).waitFor();
    await apiKeyForm.locator('button.btn-done').click();

    // Swagger UI names each operation block after its tag and operationId.
    const operation = page.locator('#operations-auth-authSessions');
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();

    const response = operation.locator('.live-responses-table tr.response');
    await response.waitFor();
    expect((await response.locator('.response-col_status').innerText()).trim()).toBe('200');
    const body = JSON.parse(await response.locator('.response-col_description pre').first().innerText());
    expect(body.sessions).toHaveLength(1);
    expect(body.sessions[0]).toMatchObject({ userAgent: 'Swagger test agent', current: false });
    // The request Swagger built carried the key from the Authorize dialog.
    expect(await operation.locator('.curl-command').first().innerText()).toContain('x-api-key');
  });
});
