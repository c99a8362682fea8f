import { JSDOM } from 'jsdom';

/**
 * A jsdom page for React Testing Library, in a test file that also runs a Gatehouse. Import it
 * first (before @testing-library/react, which looks for `document` as it loads). Unlike vitest's
 * jsdom environment, which puts jsdom's URL, AbortController, Blob, ... in place of Node's, this
 * only adds what Node lacks (window, document, localStorage, MutationObserver, ...): the server
 * in the same process keeps Node's own, and the client's fetch stays Node's fetch.
 */
const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://app.test/', pretendToBeVisual: true });
const page = dom.window as unknown as Record<string, unknown>;
const scope = globalThis as unknown as Record<string, unknown>;
for (const key of Object.getOwnPropertyNames(page)) {
  if (key in scope || key.startsWith('_')) continue;
  scope[key] = page[key];
}
scope.window = page;
