import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../server/openapi';
import { procedureMetas } from '../../server/trpc/root';
import { expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import { httpPost, startGatehouse, type Gatehouse } from '../helpers/harness';

/**
 * A lone surrogate (`"\ud800"` in JSON) is valid JSON but no Unicode text: PostgreSQL's json
 * refuses it, and an email carrying one used to reach the failed-sign-in audit insert and
 * answer 500. Every string input must refuse it with a 400, as it refuses NUL bytes.
 */

interface StringField {
  operation: string;
  restPath: string;
  rpcPath: string;
  /** Property path in the body: ['organization', 'name']. */
  path: string[];
  /** Enums and strings with a format or pattern (uuid, date-time) are refused by it; free text by the well-formedness check. */
  freeText: boolean;
}

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
};

/** Every string property of every operation's body, from the document generated from the procedures. */
function stringFields(): StringField[] {
  const document = buildOpenApiDocument() as unknown as {
    paths: Record<string, Record<string, { operationId: string; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
  };
  const procedureByRestPath = new Map<string | undefined, string>(procedureMetas().map(([procedure, meta]) => [meta?.openapi?.path, procedure]));
  const fields: StringField[] = [];
  for (const [restPath, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item)) {
      const schema = operation.requestBody?.content['application/json']?.schema;
      if (!schema) continue;
      const procedure = procedureByRestPath.get(restPath);
      if (!procedure) throw new Error(`no procedure serves ${restPath}`);
      const walk = (node: JsonSchema, path: string[]) => {
        for (const [name, child] of Object.entries(node.properties ?? {})) {
          const variants = child.anyOf ?? [child];
          for (const variant of variants) {
            if (variant.type === 'string') {
              fields.push({ operation: operation.operationId, restPath, rpcPath: `/trpc/${procedure}`, path: [...path, name], freeText: !variant.format && !variant.pattern && !variant.enum });
            }
            if (variant.type === 'object') walk(variant, [...path, name]);
          }
        }
      };
      walk(schema, []);
    }
  }
  return fields;
}

/** `{organization: {name: value}}` for the path ['organization', 'name']. */
function bodyWith(path: string[], value: string): Record<string, unknown> {
  return path.reduceRight<Record<string, unknown>>((inner, name, index) => ({ [name]: index === path.length - 1 ? value : inner }), {});
}

const LONE_SURROGATES = ['\ud800', 'abc\udfffdef-long-enough', `${'x'.repeat(10)}\udbff`];

describe('ill-formed UTF-16 in any string input', () => {
  let gate: Gatehouse;
  let account: Account;
  const reported: unknown[] = [];
  const fields = stringFields();
  beforeAll(async () => {
    gate = await startGatehouse({ reportError: (error) => reported.push(error) });
    account = await registerAccount(gate);
  });
  afterAll(() => gate?.close());

  it('the document lists the string inputs this test walks', () => {
    const names = fields.map((field) => `${field.operation}:${field.path.join('.')}`);
    for (const expected of ['authLogin:email', 'authLogin:password', 'authRegister:organization.name', 'authChangePassword:newPassword', 'authRefresh:refresh_token', 'apiKeysCreate:name']) {
      expect(names).toContain(expected);
    }
  });

  it('a sign-in whose email holds a lone surrogate is a 400, over REST and tRPC, and nothing is reported', async () => {
    const body = '{"email":"\\ud800@example.test","password":"whatever it is"}';
    const rest = await gate.post('/auth/login', body, { 'content-type': 'application/json' });
    expectStatus(rest, 400);
    expect(rest.body).toMatchObject({ code: 'BAD_REQUEST', issues: [expect.objectContaining({ path: ['email'] })] });
    const rpc = await httpPost(`${gate.url}/trpc/auth.login`, body, {});
    expectStatus(rpc, 400);
    expect(rpc.body.error.data.issues[0]).toMatchObject({ path: ['email'], message: expect.stringMatching(/surrogate/) });
    expect(reported).toEqual([]);
  });

  it('every string of every operation refuses a lone surrogate with a 400 naming the field, over REST and tRPC', async () => {
    const problems: string[] = [];
    for (const field of fields) {
      for (const value of LONE_SURROGATES) {
        const body = bodyWith(field.path, value);
        for (const [face, path] of [['REST', field.restPath], ['tRPC', field.rpcPath]] as const) {
          const answer = await httpPost(gate.url + path, body, account.bearer);
          const issues: Array<{ path: string[]; message: string }> = face === 'REST' ? answer.body?.issues : answer.body?.error?.data?.issues;
          const issue = issues?.find((candidate) => candidate.path.join('.') === field.path.join('.'));
          const shown = `${face} ${path} ${field.path.join('.')}=${JSON.stringify(value)}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
          if (answer.status !== 400 || !issue) problems.push(shown);
          else if (field.freeText && !/surrogate/.test(issue.message)) problems.push(`${shown} (message does not say why)`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(reported).toEqual([]);
  });

  it('a GET query with a lone surrogate in ?input= is a 400', async () => {
    const input = encodeURIComponent('{"cursor":"\\udc00"}');
    const response = await fetch(`${gate.url}/trpc/auth.auditEvents?input=${input}`, { headers: account.bearer });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.data.issues[0]).toMatchObject({ path: ['cursor'] });
  });

  it('well-formed astral characters (surrogate pairs) are still accepted', async () => {
    const name = 'Key 𝕏😀 名前';
    const created = await gate.post('/auth/api-keys/create', { name }, account.bearer);
    expectStatus(created, 201);
    expect(created.body.name).toBe(name);
  });
});
