import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiError } from '../contract/api.js';
import { LayoutName, LayoutsApiRoutes, NamedLayout, WallLayout } from '../contract/layouts-api.js';
import type { RouteModule } from '../api/server.js';
import { LayoutLimitError, type LayoutStore } from './layout-store.js';

const NameParams = z.object({ name: LayoutName.describe('Name of the layout.') });
const ErrorSchema = z.object({ error: z.string(), message: z.string(), field: z.string().optional() });

/** /api/layouts: named live wall layouts shared by every window and browser of the site. */
export function layoutRoutes(store: LayoutStore): RouteModule {
  return {
    name: 'layouts',
    register(app: FastifyInstance) {
      app.get(
        LayoutsApiRoutes.layouts,
        { schema: { response: { 200: z.array(NamedLayout).describe('Saved layouts, by name.') } } },
        async () => store.list(),
      );

      app.get<{ Params: z.infer<typeof NameParams> }>(
        LayoutsApiRoutes.layout,
        { schema: { params: NameParams, response: { 200: NamedLayout, 404: ErrorSchema } } },
        async (req, reply) => {
          const found = store.get(req.params.name);
          if (found) return found;
          const body: ApiError = {
            error: 'not_found',
            message: `There is no layout called "${req.params.name}".`,
          };
          return reply.code(404).send(body);
        },
      );

      app.put<{ Params: z.infer<typeof NameParams>; Body: WallLayout }>(
        LayoutsApiRoutes.layout,
        {
          schema: { params: NameParams, body: WallLayout, response: { 200: NamedLayout, 409: ErrorSchema } },
        },
        async (req, reply) => {
          try {
            return store.save(req.params.name, req.body);
          } catch (err) {
            if (!(err instanceof LayoutLimitError)) throw err;
            const body: ApiError = { error: 'conflict', message: err.message };
            return reply.code(409).send(body);
          }
        },
      );

      app.delete<{ Params: z.infer<typeof NameParams> }>(
        LayoutsApiRoutes.layout,
        { schema: { params: NameParams, response: { 204: z.null(), 404: ErrorSchema } } },
        async (req, reply) => {
          if (store.remove(req.params.name)) return reply.code(204).send(null);
          const body: ApiError = {
            error: 'not_found',
            message: `There is no layout called "${req.params.name}".`,
          };
          return reply.code(404).send(body);
        },
      );
    },
  };
}
