import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP = join(ROOT, 'tests/browser/app');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

export interface ClientPage {
  /** The page's origin, e.g. http://127.0.0.1:41234 (give it to Gatehouse's CORS_ORIGINS). */
  origin: string;
  /** The page's URL, talking to the Gatehouse at `gatehouseUrl`. */
  url(gatehouseUrl: string): string;
  close(): Promise<void>;
}

/**
 * tests/browser/app built with Vite, as a frontend would build it (the package's entry points are
 * aliased to client/'s sources), served from an origin of its own. The page asks the browser to
 * send Gatehouse the high-entropy Client Hints too (`Accept-CH` and `Permissions-Policy` on the
 * document, as README, "Devices in the session list", says).
 */
export async function buildClientPage(): Promise<ClientPage> {
  const outDir = await mkdtemp(join(tmpdir(), 'gatehouse-page-'));
  await build({
    root: APP,
    configFile: false,
    // Warnings are TanStack Query's "use client" directives, which a client-only bundle drops.
    logLevel: 'error',
    publicDir: false,
    cacheDir: join(outDir, '.vite'),
    resolve: {
      alias: [
        { find: /^@gatehouse\/client$/, replacement: join(ROOT, 'client/index.ts') },
        { find: /^@gatehouse\/client\/react$/, replacement: join(ROOT, 'client/react.ts') },
      ],
    },
    build: { outDir, emptyOutDir: false, minify: false, reportCompressedSize: false },
  });

  let gatehouseOrigin = '';
  const server: Server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://page').pathname).replace(/^\/+/, '') || 'index.html';
    try {
      const body = await readFile(join(outDir, path));
      res.setHeader('content-type', TYPES[extname(path)] ?? 'application/octet-stream');
      if (path === 'index.html' && gatehouseOrigin) {
        res.setHeader('accept-ch', 'Sec-CH-UA-Platform-Version, Sec-CH-UA-Full-Version-List');
        res.setHeader('permissions-policy', `ch-ua-platform-version=(self "${gatehouseOrigin}"), ch-ua-full-version-list=(self "${gatehouseOrigin}")`);
      }
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url(gatehouseUrl) {
      gatehouseOrigin = new URL(gatehouseUrl).origin;
      return `${origin}/?gatehouse=${encodeURIComponent(gatehouseUrl)}`;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
