import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtFiles, entryPoints, importSpecifiers, isNodeBuiltin } from '../../client/scripts/build';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLIENT = join(ROOT, 'client');
const clientPackage = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8'));
/** The version the project itself installed: in npm's cache already, so the install needs little of the registry. */
const installed = (name: string) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version as string;
/**
 * The oldest tRPC the package accepts (its peer range), with the TanStack Query integration of the
 * same version: tRPC's packages pin each other to one exact version, so this is the set a
 * frontend that uses tRPC's React Query integration installs.
 */
const TRPC_VERSION = (clientPackage.peerDependencies['@trpc/client'] as string).replace(/^\^/, '');

const BROWSER_SNIPPET = `
import { QueryClient, useQuery } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { createGatehouseClient, localStorageTokenStorage, type AppRouter, type ErrorReason, type SessionEndReason } from '@gatehouse/client';
import { GatehouseProvider, useSession } from '@gatehouse/client/react';

export const gate = createGatehouseClient({ url: 'https://auth.example.com', storage: localStorageTokenStorage() });
gate.onSessionEnd((reason: SessionEndReason) => console.log(reason));

export async function listDevices(): Promise<string[]> {
  await gate.signIn({ email: 'ada@example.com', password: 'a long passphrase' });
  const { sessions } = await gate.auth.sessions.query();
  // @ts-expect-error sessions is a query, not a mutation
  await gate.auth.sessions.mutate();
  // @ts-expect-error a session id is a string
  await gate.auth.revokeSession.mutate({ sessionId: 42 });
  return sessions.map(({ device, current }) => \`\${current ? '*' : ''}\${device.browser ?? '?'} on \${device.os ?? '?'} (\${device.type ?? '?'})\`);
}

export function reasonOf(error: unknown): ErrorReason | undefined {
  return error instanceof TRPCClientError ? (error as TRPCClientError<AppRouter>).data?.reason : undefined;
}

const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();
const queryClient = new QueryClient();

function Account() {
  const session = useSession();
  const trpc = useTRPC();
  const keys = useQuery({ ...trpc.apiKeys.list.queryOptions(), enabled: session.status === 'signed-in' });
  // @ts-expect-error there is no user until the session is signed in
  session.user.email;
  if (session.status !== 'signed-in') return <p>{session.status}</p>;
  return <p>{session.user.email} of {session.organization.name}: {keys.data?.apiKeys.length ?? 0} keys</p>;
}

export const app = (
  <GatehouseProvider client={gate} queryClient={queryClient}>
    <TRPCProvider trpcClient={gate.trpc} queryClient={queryClient}>
      <Account />
    </TRPCProvider>
  </GatehouseProvider>
);
`;

const BACKEND_SNIPPET = `
import { createTRPCClient, httpLink } from '@trpc/client';
import { createGatehouseClient, memoryTokenStorage, type AppRouter } from '@gatehouse/client';
import { createGatehouseVerifier } from '@gatehouse/client/verifier';

const gate = createGatehouseClient({ url: process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:3000', apiKey: 'gk_...', storage: memoryTokenStorage() });
export const me = await gate.auth.me.query();
export const plan: 'trial' | 'free' | 'basic' | 'advanced' | 'enterprise' = me.organization.plan;
const plain = createTRPCClient<AppRouter>({ links: [httpLink({ url: 'http://127.0.0.1:3000/trpc' })] });
export const keys = await plain.apiKeys.list.query();
// @ts-expect-error register needs an organization
await plain.auth.register.mutate({ email: 'a@b.c', password: 'long enough' });

const verifier = createGatehouseVerifier({ url: 'http://127.0.0.1:3000', introspection: { apiKey: 'gk_...', cacheSeconds: 10 } });
const claims = await verifier.verify('eyJ...');
export const organizationId: string = claims.org;
export const middleware = verifier.middleware();
`;

/** Signs up and lists the sessions with the installed package, in plain Node. */
const RUNTIME_SCRIPT = `
import { createGatehouseClient } from '@gatehouse/client';
import { GatehouseProvider, useSession } from '@gatehouse/client/react';
import { createGatehouseVerifier } from '@gatehouse/client/verifier';
const gate = createGatehouseClient({ url: process.env.GATEHOUSE_URL });
await gate.signUp({
  email: 'package-' + Date.now() + '@example.test',
  password: 'a long enough password',
  organization: { name: 'Packaged', type: 'ngo', size: '1-10', primaryUse: 'support' },
});
const { sessions } = await gate.auth.sessions.query();
const claims = await createGatehouseVerifier({ url: process.env.GATEHOUSE_URL }).verify(gate.tokens().access_token);
console.log(JSON.stringify({ sessions, sid: claims.sid, react: [typeof GatehouseProvider, typeof useSession] }));
`;

const STRICT = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  isolatedModules: true,
  verbatimModuleSyntax: true,
  // Checks the package's declarations too, not only the snippet.
  skipLibCheck: false,
  noEmit: true,
};

describe('@gatehouse/client as a frontend installs it: npm pack, npm install, tsc --strict', () => {
  let project: string;
  let packed: { filename: string; files: Array<{ path: string }> };
  let gate: Gatehouse;
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'gatehouse-consumer-'));
    // `npm pack` runs the package's prepack: the build.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: CLIENT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
    [packed] = JSON.parse(stdout);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const dependencies = [
      join(project, packed.filename),
      `@trpc/client@${TRPC_VERSION}`,
      `@trpc/server@${TRPC_VERSION}`,
      `@trpc/tanstack-react-query@${TRPC_VERSION}`,
      `@tanstack/react-query@${installed('@tanstack/react-query')}`,
      `react@${installed('react')}`,
      `@types/react@${installed('@types/react')}`,
      `typescript@${installed('typescript')}`,
      `@types/node@${installed('@types/node')}`,
    ];
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...dependencies], {
      cwd: project,
      timeout: 240_000,
    });
    gate = await startGatehouse();
  }, 540_000);
  afterAll(async () => {
    await gate?.close();
    if (project) await rm(project, { recursive: true, force: true });
  });

  const installedPackage = () => join(project, 'node_modules/@gatehouse/client');

  it('holds the built ESM and declarations of every entry point, and nothing else', () => {
    const files = packed.files.map((file) => file.path).sort();
    const { entries } = entryPoints();
    expect(entries.map((entry) => entry.name)).toEqual(expect.arrayContaining(['.', './react']));
    for (const entry of entries) {
      expect(files).toContain(entry.output);
      expect(files).toContain(entry.output.replace(/\.js$/, '.d.ts'));
    }
    expect(files).toContain('dist/app-router.d.ts');
    const unexpected = files.filter((file) => !/^dist\/.+\.(js|js\.map|d\.ts)$/.test(file) && file !== 'package.json' && file !== 'README.md');
    expect(unexpected).toEqual([]);
  });

  it('imports nothing from server/: every import is a file of the package or a package it declares', () => {
    const declared = new Set([...Object.keys(clientPackage.dependencies ?? {}), ...Object.keys(clientPackage.peerDependencies ?? {})]);
    const files = builtFiles(join(installedPackage(), 'dist'));
    expect(files.length).toBeGreaterThan(4);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/["'][^"']*\bserver\//);
      for (const specifier of importSpecifiers(text)) {
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          expect(relative(installedPackage(), target).startsWith('..'), `${file} imports ${specifier}`).toBe(false);
          expect(existsSync(target) || existsSync(target.replace(/\.js$/, '.d.ts')), `${file} imports ${specifier}`).toBe(true);
        } else if (!isNodeBuiltin(specifier)) {
          const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
          expect(declared.has(name), `${file} imports ${specifier}`).toBe(true);
        }
      }
    }
  });

  /**
   * Runs tsc in the consumer project; answers the errors in the snippet and in the package's
   * declarations (none when clean). tRPC's own declarations need Node's typings and newer libs
   * (`http`, `ws`, `Disposable`) under `skipLibCheck: false`: those lines are tRPC's, not ours.
   */
  async function typecheck(name: string, compilerOptions: Record<string, unknown>, file: string, source: string): Promise<string[]> {
    await writeFile(join(project, file), source);
    await writeFile(join(project, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...STRICT, ...compilerOptions }, files: [file] }));
    let output = '';
    try {
      await run(join(project, 'node_modules/.bin/tsc'), ['-p', `tsconfig.${name}.json`, '--pretty', 'false'], { cwd: project, timeout: 120_000 });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout || error);
    }
    const errors = output.split('\n').filter((line) => line.includes('error TS'));
    return errors.filter((line) => line.startsWith(file) || line.startsWith('node_modules/@gatehouse/client/') || !line.startsWith('node_modules/'));
  }

  it('a browser app typechecks under strict (bundler resolution, DOM, React, tRPC’s TanStack Query integration)', async () => {
    const output = await typecheck(
      'browser',
      { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [], jsx: 'react-jsx' },
      'app.tsx',
      BROWSER_SNIPPET,
    );
    expect(output).toEqual([]);
  }, 120_000);

  it('a Node backend typechecks under strict (nodenext resolution, no DOM library)', async () => {
    const output = await typecheck(
      'node',
      { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'] },
      'backend.ts',
      BACKEND_SNIPPET,
    );
    expect(output).toEqual([]);
  }, 120_000);

  it('runs as installed: signs up against a real Gatehouse, lists the session with its device, and verifies the token with the verifier entry', async () => {
    await writeFile(join(project, 'run.mjs'), RUNTIME_SCRIPT);
    const { stdout } = await run(process.execPath, ['run.mjs'], { cwd: project, timeout: 30_000, env: { ...process.env, GATEHOUSE_URL: gate.url } });
    const { sessions, sid, react } = JSON.parse(stdout);
    expect(sessions).toHaveLength(1);
    // The verifier entry checks the installed client's access token against the published keys.
    expect(sid).toBe(sessions[0].id);
    expect(sessions[0]).toMatchObject({ current: true, device: { browser: null, os: null, type: null } });
    expect(react).toEqual(['function', 'function']);
  });
});
