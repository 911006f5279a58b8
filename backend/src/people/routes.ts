import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ApiError } from '../contract/api.js';
import {
  CameraGroup,
  NewTokenBody,
  NewUserBody,
  PasswordBody,
  PeopleApiRoutes,
  PeopleSettings,
  UserName,
  UserPatch,
} from '../contract/people.js';
import type { RouteModule } from '../api/server.js';
import { requestActor } from '../api/auth.js';
import { People, PeopleError } from './service.js';

const NameParams = z.object({ name: UserName });
const GroupParams = z.object({ name: z.string().min(1).max(64) });
const TokenParams = z.object({ id: z.string().min(1).max(40) });

function refuse(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof PeopleError)) throw err;
  const body: ApiError = {
    error: { 400: 'invalid_request', 403: 'forbidden', 404: 'not_found', 409: 'conflict' }[err.status],
    message: err.message,
    ...(err.field ? { field: err.field } : {}),
  };
  return reply.code(err.status).send(body);
}

/** /api/users, /api/camera-groups, /api/tokens, /api/people/settings: an administrator's people desk. */
export function peopleRoutes(people: People): RouteModule {
  return {
    name: 'people',
    register(app: FastifyInstance) {
      app.get(PeopleApiRoutes.users, async () => (await people.store.listUsers()).map(People.account));

      app.post<{ Body: z.input<typeof NewUserBody> }>(
        PeopleApiRoutes.users,
        { schema: { body: NewUserBody } },
        async (req, reply) => {
          try {
            return reply.code(201).send(await people.addUser(req.body, requestActor(req)));
          } catch (err) {
            return refuse(reply, err);
          }
        },
      );

      app.get<{ Params: z.infer<typeof NameParams> }>(
        PeopleApiRoutes.user,
        { schema: { params: NameParams } },
        async (req, reply) => {
          const user = await people.store.getUser(req.params.name);
          if (user) return People.account(user);
          return refuse(reply, new PeopleError(404, `There is no person called "${req.params.name}".`));
        },
      );

      app.put<{ Params: z.infer<typeof NameParams>; Body: z.infer<typeof UserPatch> }>(
        PeopleApiRoutes.user,
        { schema: { params: NameParams, body: UserPatch } },
        async (req, reply) => {
          try {
            return await people.updateUser(req.params.name, req.body, requestActor(req));
          } catch (err) {
            return refuse(reply, err);
          }
        },
      );

      app.delete<{ Params: z.infer<typeof NameParams> }>(
        PeopleApiRoutes.user,
        { schema: { params: NameParams } },
        async (req, reply) => {
          try {
            await people.removeUser(req.params.name, requestActor(req));
            return reply.code(204).send();
          } catch (err) {
            return refuse(reply, err);
          }
        },
      );

      // One's own password, with the current one; an administrator sets anyone's (a reset).
      app.post<{ Params: z.infer<typeof NameParams>; Body: z.infer<typeof PasswordBody> }>(
        PeopleApiRoutes.userPassword,
        { schema: { params: NameParams, body: PasswordBody } },
        async (req, reply) => {
          const caller = req.principal!;
          const own = caller.via === 'session' && caller.user.toLowerCase() === req.params.name.toLowerCase();
          try {
            if (!own && !caller.permissions?.has('users.manage'))
              throw new PeopleError(403, 'You may only change your own password.');
            if (own && !caller.permissions?.has('users.manage')) {
              const ok = await people.signIn(caller.user, req.body.current ?? '');
              if (!ok.ok) throw new PeopleError(403, 'The current password is wrong.', 'current');
            }
            await people.setPassword(req.params.name, req.body.password, requestActor(req));
            return reply.code(204).send();
          } catch (err) {
            return refuse(reply, err);
          }
        },
      );

      app.get(PeopleApiRoutes.groups, async () => people.store.listGroups());

      app.put<{ Params: z.infer<typeof GroupParams>; Body: z.infer<typeof CameraGroup> }>(
        PeopleApiRoutes.group,
        { schema: { params: GroupParams, body: CameraGroup } },
        async (req, reply) => {
          if (req.body.name.toLowerCase() !== req.params.name.toLowerCase())
            return refuse(
              reply,
              new PeopleError(400, 'The group name in the body and the path differ.', 'name'),
            );
          await people.store.putGroup(req.body);
          await people.audit({
            actor: requestActor(req),
            action: 'camera-group-change',
            target: req.body.name,
            detail: { cameras: req.body.cameras },
          });
          return req.body;
        },
      );

      app.delete<{ Params: z.infer<typeof GroupParams> }>(
        PeopleApiRoutes.group,
        { schema: { params: GroupParams } },
        async (req, reply) => {
          if (!(await people.store.removeGroup(req.params.name)))
            return refuse(
              reply,
              new PeopleError(404, `There is no camera group called "${req.params.name}".`),
            );
          await people.audit({
            actor: requestActor(req),
            action: 'camera-group-change',
            target: req.params.name,
            detail: { removed: true },
          });
          return reply.code(204).send();
        },
      );

      app.get(PeopleApiRoutes.tokens, async () => people.listTokens());

      app.post<{ Body: z.input<typeof NewTokenBody> }>(
        PeopleApiRoutes.tokens,
        { schema: { body: NewTokenBody } },
        async (req, reply) => reply.code(201).send(await people.createToken(req.body, requestActor(req))),
      );

      app.delete<{ Params: z.infer<typeof TokenParams> }>(
        PeopleApiRoutes.token,
        { schema: { params: TokenParams } },
        async (req, reply) => {
          try {
            await people.revokeToken(req.params.id, requestActor(req));
            return reply.code(204).send();
          } catch (err) {
            return refuse(reply, err);
          }
        },
      );

      app.get(PeopleApiRoutes.settings, async () => people.store.getSettings());

      app.put<{ Body: z.input<typeof PeopleSettings> }>(
        PeopleApiRoutes.settings,
        { schema: { body: PeopleSettings } },
        async (req) => {
          const settings = PeopleSettings.parse(req.body);
          await people.store.putSettings(settings);
          await people.audit({
            actor: requestActor(req),
            action: 'setting-change',
            detail: { ...settings },
          });
          return settings;
        },
      );
    },
  };
}
