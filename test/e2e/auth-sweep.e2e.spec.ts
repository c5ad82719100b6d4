import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, startApp, type RunningApp } from '../support/app.js';

type Operation = { security?: Record<string, string[]>[]; parameters?: { name: string; in: string }[] };
type OpenApi = {
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * Every operation the OpenAPI document marks as needing the bearer token answers 401
 * without it (and with a wrong one). Routes added later are covered as soon as they
 * use `@AuthorOnly()`, which documents the bearer requirement.
 */
describe('auth sweep over the OpenAPI document', () => {
  let running: RunningApp;
  let doc: OpenApi;

  beforeAll(async () => {
    running = await startApp();
    doc = await getJson<OpenApi>(`${running.url}/api/docs-json`);
  });
  afterAll(() => running?.close());

  it('finds the author operations through their bearer security', () => {
    const bearer = Object.entries(doc.components?.securitySchemes ?? {}).filter(
      ([, s]) => s.type === 'http' && s.scheme === 'bearer',
    );
    expect(bearer.length).toBeGreaterThan(0);
    expect(doc.paths['/api/llm']?.get?.security).toEqual([{ [bearer[0][0]]: [] }]);
  });

  it('answers 401 to every bearer-secured operation without a token or with a wrong one', async () => {
    const schemes = new Set(
      Object.entries(doc.components?.securitySchemes ?? {})
        .filter(([, s]) => s.scheme === 'bearer')
        .map(([name]) => name),
    );
    const checked: string[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op?.security?.some((req) => Object.keys(req).some((name) => schemes.has(name)))) continue;
        // Path parameters get a real-looking id: the guard must refuse before any lookup.
        const path = template.replace(/\{[^}]+\}/g, 'town-square');
        const body = method === 'get' || method === 'delete' ? undefined : '{}';
        for (const headers of [
          {},
          { authorization: 'Bearer wrong-token-0000000000' },
          { authorization: 'Basic dXNlcjpwYXNz' },
        ] as Record<string, string>[]) {
          const res = await fetch(`${running.url}${path}`, {
            method: method.toUpperCase(),
            headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
            body,
          });
          expect({ op: `${method.toUpperCase()} ${template}`, status: res.status }).toEqual({
            op: `${method.toUpperCase()} ${template}`,
            status: 401,
          });
          expect(await res.json()).toMatchObject({ statusCode: 401 });
        }
        checked.push(`${method.toUpperCase()} ${template}`);
      }
    }
    expect(checked).toContain('GET /api/llm');
  });
});
