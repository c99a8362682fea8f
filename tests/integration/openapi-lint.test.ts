import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_REASONS } from '../../server/errors';
import { startGatehouse, type Gatehouse } from '../helpers/harness';
import { readSeedExamples } from '../helpers/seed-curls';

/** A document a third party can build on: lint-clean, every operation named and explained, errors documented. */
describe('the served /openapi.json', () => {
  let gate: Gatehouse;
  let document: any;
  let source: string;
  beforeAll(async () => {
    gate = await startGatehouse();
    source = await (await fetch(`${gate.url}/openapi.json`)).text();
    document = JSON.parse(source);
  });
  afterAll(() => gate?.close());

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, any>).map(([method, operation]) => ({ path, method, operation })),
    );

  it("passes Redocly's recommended rules with no error", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source, absoluteRef: `${gate.url}/openapi.json`, config });
    const summary = problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`);
    expect(summary.filter((line) => line.startsWith('error'))).toEqual([]);
    // The one warning left: no license is declared, as none has been chosen for Gatehouse.
    expect(summary.filter((line) => !line.includes('info-license'))).toEqual([]);
  });

  it('names, explains and tags every operation', () => {
    const tagNames = document.tags.map((tag: { name: string; description?: string }) => {
      expect(tag.description, `tag ${tag.name}`).toBeTruthy();
      return tag.name;
    });
    const ids = new Set<string>();
    for (const { path, operation } of operations()) {
      expect(operation.operationId, path).toMatch(/^[a-zA-Z]+$/);
      ids.add(operation.operationId);
      expect(operation.summary, path).toBeTruthy();
      expect(operation.description, path).toBeTruthy();
      expect(operation.tags?.length, path).toBeGreaterThan(0);
      for (const tag of operation.tags) expect(tagNames, path).toContain(tag);
    }
    expect(ids.size).toBe(operations().length);
    expect(document.paths['/auth/refresh'].post.operationId).toBe('authRefresh');
  });

  it('has a server and both security schemes', () => {
    expect(document.servers?.length).toBeGreaterThan(0);
    expect(document.components.securitySchemes).toMatchObject({
      apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
  });

  it('documents the error responses with one shared body whose reasons are the server’s', () => {
    const errorSchema = document.components.schemas.ErrorResponse;
    expect(errorSchema.required).toEqual(['message', 'code']);
    expect(Object.keys(errorSchema.properties).sort()).toEqual(['code', 'issues', 'message', 'reason']);
    expect(errorSchema.properties.reason.enum).toEqual(Object.keys(ERROR_REASONS));

    const resolve = (response: any) =>
      response.$ref ? document.components.responses[response.$ref.split('/').pop()] : response;
    for (const { path, operation } of operations()) {
      for (const status of ['400', '401', '403', '413', '429']) {
        const response = resolve(operation.responses[status]);
        expect(response?.content?.['application/json']?.schema, `${path} ${status}`).toEqual({
          $ref: '#/components/schemas/ErrorResponse',
        });
      }
    }
    expect(document.paths['/auth/revoke-session'].post.responses['404']).toBeDefined();
    expect(document.paths['/auth/api-keys/revoke'].post.responses['404']).toBeDefined();
    expect(document.paths['/auth/register'].post.responses['409']).toBeDefined();
    // Every reason appears as an example under the status it answers with.
    const unauthorized = document.components.responses.Unauthorized.content['application/json'].examples;
    expect(unauthorized.refresh_token_reused.value).toEqual({
      message: ERROR_REASONS.refresh_token_reused.message,
      code: 'UNAUTHORIZED',
      reason: 'refresh_token_reused',
    });
  });

  it('shows creations as 201, as they answer', () => {
    expect(Object.keys(document.paths['/auth/register'].post.responses)).toContain('201');
    expect(Object.keys(document.paths['/auth/api-keys/create'].post.responses)).toContain('201');
    expect(Object.keys(document.paths['/auth/register'].post.responses)).not.toContain('200');
  });

  it("carries the API document's own examples on its five operations", () => {
    const seed = readSeedExamples();
    expect(seed).toHaveLength(5);
    for (const example of seed) {
      const operation = document.paths[example.path.replace(/^\/api/, '')].post;
      const exampleOf = (media: any) => Object.values(media.examples as Record<string, { value: unknown }>)[0]?.value;
      if (example.body !== undefined) {
        expect(exampleOf(operation.requestBody.content['application/json']), example.title).toEqual(JSON.parse(example.body));
      }
      // Exactly the document's fields, plus Gatehouse's additive ones (ipAddress, current) on a session.
      expect(exampleOf(operation.responses['200'].content['application/json']), example.title).toMatchObject(
        example.response as object,
      );
    }
  });
});
