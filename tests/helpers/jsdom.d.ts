// The part of jsdom that tests/helpers/dom.ts uses. Not @types/jsdom: it references the DOM
// library, which would then apply to the whole project (server and Node tests included).
declare module 'jsdom' {
  export class JSDOM {
    constructor(html?: string, options?: { url?: string; pretendToBeVisual?: boolean });
    readonly window: object;
  }
}
