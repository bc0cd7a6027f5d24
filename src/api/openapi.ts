// The OpenAPI 3 document, generated from the declared routes and their zod schemas.
import { z } from 'zod';
import { APP_PASSWORDS_OPEN_THE_API } from './app-password-scope.ts';
import { declaredRoutes } from './route-spec.ts';

export function openApiDocument(): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { prefix, spec } of declaredRoutes) {
    const path = '/api/v1' + (prefix + (spec.path === '/' ? '' : spec.path)).replace(/:(\w+)/g, '{$1}');
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const op: Record<string, unknown> = {
      summary: spec.summary,
      tags: [spec.tag],
      'x-permission': spec.permission,
      // whether an app password may call it: never (src/api/app-password-scope.ts)
      'x-app-password': APP_PASSWORDS_OPEN_THE_API,
      parameters: [...params, ...queryParams(spec.query)],
      responses: { default: { description: 'Errors: { error: { code, message, details } }' }, 200: { description: 'OK' } },
    };
    if (spec.permission !== 'public') op.security = [{ bearer: [] }];
    if (spec.body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } };
    (paths[path] ??= {})[spec.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'dialbook admin API', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): object {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as object;
}

function queryParams(schema: z.ZodType | undefined): object[] {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: js.required?.includes(name) ?? false, schema: s }));
}
