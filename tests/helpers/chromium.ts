import { accessSync, constants } from 'node:fs';

/** Debian's Chromium (apt package `chromium`); a browser download is never attempted. */
export const CHROMIUM = '/usr/bin/chromium';

/** Stops `npm run test:browser` before any file starts when the browser is not installed. */
export function checkChromium(): void {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`The browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install chromium (README, "Tests")`);
  }
}
