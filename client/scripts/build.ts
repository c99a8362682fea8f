/**
 * Builds the @gatehouse/client package into client/dist: ESM bundles (esbuild) and declarations
 * (TypeScript), one of each per entry point. The entry points are the `exports` of
 * client/package.json and nothing else: `"./react": { "default": "./dist/react.js" }` is built
 * from client/react.ts. An entry whose source does not exist yet is left out with a notice.
 *
 * The package carries the server's types and none of its code: app-router.ts, the only file
 * that looks at the server, gets a standalone declaration (router-types.ts), checked here to
 * be the same router as the server's; and nothing built may import from server/.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';
import { routerTypesDeclaration } from './router-types';

const CLIENT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(CLIENT, '..');
const DIST = join(CLIENT, 'dist');
const ROUTER_TYPES_SOURCE = join(CLIENT, 'app-router.ts');

interface PackageJson {
  exports: Record<string, string | { types?: string; default?: string }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export interface Entry {
  /** The export's key: '.', './react', ... */
  name: string;
  source: string;
  /** The output, relative to client/: 'dist/react.js'. */
  output: string;
}

/** The entry points: the package's `exports`, with their sources; those not written yet apart. */
export function entryPoints(pkg: PackageJson = readPackage()): { entries: Entry[]; missing: string[] } {
  const entries: Entry[] = [];
  const missing: string[] = [];
  for (const [name, target] of Object.entries(pkg.exports)) {
    const output = typeof target === 'string' ? target : target.default;
    if (!output?.startsWith('./dist/') || !output.endsWith('.js')) continue; // './package.json'
    const base = output.slice('./dist/'.length, -'.js'.length);
    const source = [`${base}.ts`, `${base}.tsx`].map((file) => join(CLIENT, file)).find((file) => existsSync(file));
    if (source) entries.push({ name, source, output: output.slice(2) });
    else missing.push(`${name} (${base}.ts)`);
  }
  return { entries, missing };
}

function readPackage(): PackageJson {
  return JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8')) as PackageJson;
}

async function bundle(entries: Entry[], pkg: PackageJson): Promise<void> {
  // Node's built-ins stay imports too (the verifier, for backends, may use them).
  const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), 'node:*', ...builtinModules];
  const result = await build({
    entryPoints: Object.fromEntries(entries.map((entry) => [entry.output.slice('dist/'.length, -'.js'.length), entry.source])),
    outdir: DIST,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    // A package path also covers its subpaths: 'react' keeps 'react/jsx-runtime' external.
    external,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    tsconfig: join(ROOT, 'tsconfig.json'),
  });
  const fromServer = Object.keys(result.metafile.inputs).filter((input) => resolve(ROOT, input).startsWith(join(ROOT, 'server')));
  if (fromServer.length > 0) throw new Error(`the client's bundle took code from the server: ${fromServer.join(', ')}`);
}

function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error('cannot read tsconfig.json');
  return { ...parsed.options, noEmit: false, declaration: true, emitDeclarationOnly: true, declarationMap: false, sourceMap: false };
}

function failOnDiagnostics(diagnostics: readonly ts.Diagnostic[], what: string): void {
  if (diagnostics.length === 0) return;
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (file) => file, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  throw new Error(`${what}:\n${ts.formatDiagnostics(diagnostics, host)}`);
}

/** Declarations of every client file the entries reach; app-router's is the standalone one. */
function declarations(entries: Entry[], options: ts.CompilerOptions): ts.Program {
  const program = ts.createProgram({ rootNames: [...entries.map((entry) => entry.source), ROUTER_TYPES_SOURCE], options });
  const clientFiles = program
    .getSourceFiles()
    .filter((file) => file.fileName.startsWith(`${CLIENT}/`) && !file.fileName.startsWith(`${CLIENT}/scripts/`) && !file.isDeclarationFile);
  // The client's own files only: the server is the root typecheck's, and checking it all here would double the time.
  failOnDiagnostics(
    [...program.getOptionsDiagnostics(), ...clientFiles.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)])],
    'the client does not typecheck',
  );
  for (const file of clientFiles) {
    const target = join(DIST, relative(CLIENT, file.fileName).replace(/\.tsx?$/, '.d.ts'));
    const text = file.fileName === ROUTER_TYPES_SOURCE ? routerTypesDeclaration(program, ROUTER_TYPES_SOURCE) : emittedDeclaration(program, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  return program;
}

function emittedDeclaration(program: ts.Program, file: ts.SourceFile): string {
  let text: string | undefined;
  const emitted = program.emit(file, (name, data) => {
    if (name.endsWith('.d.ts')) text = data;
  }, undefined, true);
  failOnDiagnostics(emitted.diagnostics, `cannot write the declaration of ${file.fileName}`);
  if (text === undefined) throw new Error(`no declaration was written for ${file.fileName}`);
  return text;
}

/**
 * The standalone AppRouter must be the server's router as a client sees it: the same inputs,
 * outputs and error shape for every procedure, and the same client (queries stay queries).
 */
function checkRouterTypes(options: ts.CompilerOptions, oldProgram: ts.Program): void {
  const check = join(CLIENT, '.router-types-check.ts');
  const packaged = join(DIST, 'app-router.d.ts');
  const moduleOf = (file: string) => JSON.stringify(file.replace(/(\.d)?\.ts$/, '.js'));
  const text = [
    `import type { TRPCClient } from '@trpc/client';`,
    `import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from '@trpc/server';`,
    `import type { AppRouter as Server } from ${moduleOf(join(ROOT, 'server/trpc/root.ts'))};`,
    `import type { ErrorReason as ServerReason } from ${moduleOf(join(ROOT, 'server/errors.ts'))};`,
    `import type { AppRouter as Packaged, ErrorReason as PackagedReason } from ${moduleOf(packaged)};`,
    // Identity for each procedure's input and output; mutual assignability for the whole (tRPC's
    // mapped router types are never identical to a written-out one, only equivalent).
    `type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;`,
    `type Equivalent<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;`,
    `type PerProcedure<S, P> = { [R in keyof S]: { [K in keyof S[R]]: R extends keyof P ? (K extends keyof P[R] ? Same<S[R][K], P[R][K]> : false) : false }[keyof S[R]] }[keyof S];`,
    `export const inputs: Same<PerProcedure<inferRouterInputs<Server>, inferRouterInputs<Packaged>>, true> = true;`,
    `export const outputs: Same<PerProcedure<inferRouterOutputs<Server>, inferRouterOutputs<Packaged>>, true> = true;`,
    `export const procedures: Same<keyof inferRouterInputs<Server>, keyof inferRouterInputs<Packaged>> = true;`,
    `export const errors: Equivalent<inferRouterError<Server>, inferRouterError<Packaged>> = true;`,
    `export const clients: Equivalent<TRPCClient<Server>, TRPCClient<Packaged>> = true;`,
    `export const reasons: Same<ServerReason, PackagedReason> = true;`,
  ].join('\n');
  writeFileSync(check, text);
  try {
    const program = ts.createProgram({ rootNames: [check], options: { ...options, noEmit: true }, oldProgram });
    const source = program.getSourceFile(check);
    failOnDiagnostics(
      [...program.getSemanticDiagnostics(source), ...program.getSyntacticDiagnostics(source)],
      "the package's AppRouter is not the server's",
    );
  } finally {
    rmSync(check, { force: true });
  }
}

/** Every import of a built file is another built file or a package the client declares. */
function checkImports(pkg: PackageJson): void {
  const allowed = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  for (const file of builtFiles()) {
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        const exists = [target, target.replace(/\.js$/, '.d.ts')].some((candidate) => existsSync(candidate));
        if (!target.startsWith(`${DIST}/`) || !exists) throw new Error(`${relative(CLIENT, file)} imports ${specifier}, which is not in the package`);
      } else if (!isNodeBuiltin(specifier)) {
        const packageName = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (!allowed.has(packageName)) throw new Error(`${relative(CLIENT, file)} imports ${specifier}, which the package does not declare`);
      }
    }
  }
}

/** `node:crypto`, `crypto`: Node's own modules (a declaration may name them, for backends). */
export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!);
}

export function builtFiles(directory = DIST): string[] {
  return ts.sys.readDirectory(directory, ['.js', '.d.ts']);
}

/** The module specifiers a JavaScript or declaration file imports or re-exports. */
export function importSpecifiers(text: string): string[] {
  const found = new Set<string>();
  const patterns = [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, /\bimport\s*["']([^"']+)["']/g];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.add(match[1]!);
  return [...found];
}

async function main(): Promise<void> {
  const started = Date.now();
  const pkg = readPackage();
  const { entries, missing } = entryPoints(pkg);
  for (const name of missing) console.error(`@gatehouse/client: not built, its source is not there yet: ${name}`);
  rmSync(DIST, { recursive: true, force: true });
  await bundle(entries, pkg);
  const options = compilerOptions();
  const program = declarations(entries, options);
  checkRouterTypes(options, program);
  checkImports(pkg);
  // On stderr, like the notices: `npm pack --json` keeps stdout for its JSON.
  console.error(`@gatehouse/client: built ${entries.map((entry) => entry.name).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
