import { checkChromium } from './chromium';

/** Global setup of `npm run test:browser`: no Chromium fails the run with what to install. */
export default function setup(): void {
  checkChromium();
}
