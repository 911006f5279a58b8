import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { SwaggerOptions } from '@fastify/swagger';
import { VERSION } from '../platform/version.js';

/** Header of the generated OpenAPI document (docs/openapi.json). */
export const OPENAPI_INFO: NonNullable<Extract<SwaggerOptions, { openapi?: unknown }>['openapi']> = {
  openapi: '3.0.3',
  info: {
    title: 'Vigil API',
    version: VERSION,
    description:
      'HTTP and WebSocket API of the Vigil backend. Every route but /healthz, /login and the UI needs a credential: ' +
      '`Authorization: Bearer <token>` or the HttpOnly session cookie set by a one-time login link. ' +
      'Times are milliseconds since the epoch. Errors are `{ error, message, field? }` with a 4xx status.',
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      cookie: { type: 'apiKey', in: 'cookie', name: 'vigil_session' },
    },
  },
  security: [{ bearer: [] }, { cookie: [] }],
};

/** Whether a value is a zod schema (zod 4 schemas carry `_zod`). */
export function isZodSchema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

function usesZod(schema: FastifySchema | undefined): boolean {
  if (!schema) return false;
  const parts = [schema.body, schema.querystring, schema.params, schema.headers];
  const response = schema.response as Record<string, unknown> | undefined;
  if (response) parts.push(...Object.values(response));
  return parts.some(isZodSchema);
}

/**
 * Validator and serializer compilers for both kinds of route schema: zod schemas (the convention: they type the
 * handler and feed the OpenAPI document) and plain JSON schemas (validated by Fastify's usual Ajv).
 */
export function schemaCompilers(): {
  validator: FastifySchemaCompiler<unknown>;
  serializer: FastifySerializerCompiler<unknown>;
} {
  const ajv = AjvCompiler()(
    {},
    { customOptions: { coerceTypes: 'array', useDefaults: true, removeAdditional: true, allErrors: false } },
  );
  return {
    validator: (route) =>
      isZodSchema(route.schema)
        ? validatorCompiler(route as Parameters<typeof validatorCompiler>[0])
        : (ajv(route as Parameters<typeof ajv>[0]) as ReturnType<FastifySchemaCompiler<unknown>>),
    serializer: (route) =>
      isZodSchema(route.schema)
        ? serializerCompiler(route as Parameters<typeof serializerCompiler>[0])
        : (data: unknown) => JSON.stringify(data),
  };
}

/** The OpenAPI transform: zod schemas become JSON schemas; routes described by plain JSON schemas pass as they are. */
export const openApiTransform: typeof jsonSchemaTransform = (document) => {
  if (!usesZod(document.schema as FastifySchema | undefined)) {
    return { schema: document.schema, url: document.url } as ReturnType<typeof jsonSchemaTransform>;
  }
  return jsonSchemaTransform(document);
};
