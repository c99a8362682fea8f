import { readFileSync } from 'node:fs';

/** One `curl` example of the API document, as written, with the response it documents. */
export interface SeedExample {
  title: string;
  method: string;
  /** Path as in the document's URL, e.g. /api/auth/refresh. */
  path: string;
  headers: Array<[string, string]>;
  /** The -d argument verbatim (newlines included), or undefined when the curl sends none. */
  body: string | undefined;
  response: unknown;
}

/** Reads the curl examples out of the API document itself, so the test replays them as written. */
export function readSeedExamples(file = new URL('../fixtures/seed-api.txt', import.meta.url)): SeedExample[] {
  const text = readFileSync(file, 'utf8');
  const examples: SeedExample[] = [];
  const pattern = /\n([^\n]+)\n\ncurl ([\s\S]*?)\nResponse:\n(\{[\s\S]*?\n\})/g;
  for (const match of text.matchAll(pattern)) {
    const [, title, command, response] = match as unknown as [string, string, string, string];
    const method = /-X (\w+)/.exec(command)?.[1] ?? 'GET';
    const url = /(https?:\/\/\S+)/.exec(command)?.[1];
    if (!url) throw new Error(`no URL in curl example "${title}"`);
    const headers = [...command.matchAll(/-H "([^:"]+):\s*([^"]*)"/g)].map(
      ([, name, value]) => [name!, value!] as [string, string],
    );
    const body = /-d '([\s\S]*?)'/.exec(command)?.[1];
    examples.push({ title: title.trim(), method, path: new URL(url).pathname, headers, body, response: JSON.parse(response) });
  }
  return examples;
}
