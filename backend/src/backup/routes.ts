import type { AuditAction } from '../contract/audit.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiError } from '../contract/api.js';
import { BackupApiRoutes } from '../contract/backup.js';
import type { BackupJobConfigInput, BackupTargetConfigInput } from '../contract/config/backup.js';
import type { RouteModule } from '../api/server.js';
import { BACKUP_ID } from './engine.js';
import { asRequestError, BackupRequestError, type BackupService } from './service.js';

const BackupId = z.string().regex(BACKUP_ID, 'not a backup id (letters, digits, ".", "_" and "-")');
const RestoreBody = z.strictObject({
  targetId: z.string().min(1).max(200),
  backupId: BackupId,
  metadata: z.boolean().optional(),
  recordings: z.boolean().optional(),
});
const VerifyBody = z.strictObject({ targetId: z.string().min(1).max(200), backupId: BackupId });

/** Sends a user-fixable error as { error, message, field? } with its 4xx status; rethrows anything else. */
export function sendRequestError(reply: FastifyReply, error: unknown): FastifyReply {
  const err = asRequestError(error);
  if (err instanceof BackupRequestError) {
    const body: ApiError = {
      error: err.status === 404 ? 'not_found' : err.status === 409 ? 'conflict' : 'bad_request',
      message: err.message,
      ...(err.field ? { field: err.field } : {}),
    };
    return reply.code(err.status).send(body);
  }
  if (err instanceof z.ZodError) {
    const issue = err.issues[0];
    const field = issue?.path.join('.');
    const body: ApiError = {
      error: 'bad_request',
      message: `${field || 'body'}: ${issue?.message}`,
      ...(field ? { field } : {}),
    };
    return reply.code(400).send(body);
  }
  throw err;
}

/** What an audit entry keeps of a verify or restore answer: whether it held, never file lists. */
function verifySummary(r: unknown): Record<string, unknown> {
  const o = (r ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['ok', 'verified', 'restored', 'message'] as const) if (k in o) out[k] = o[k];
  return out;
}

/**
 * /api/backup/…: targets (with "test connection"), jobs, run, cancel, progress, history, verify, restore. With a
 * recorder, changes to targets and jobs, runs, verifies and restores are audited.
 */
export function backupRoutes(service: BackupService, audit?: AuditRecorder): RouteModule {
  return {
    name: 'backup',
    register(app: FastifyInstance) {
      const R = BackupApiRoutes;
      const guard =
        <
          Q extends {
            Params: Record<string, string>;
            Body: unknown;
            Querystring: Record<string, string | undefined>;
          },
        >(
          fn: (req: { params: Q['Params']; body: Q['Body']; query: Q['Querystring'] }) => unknown,
          action?: (
            req: { params: Q['Params']; body: Q['Body'] },
            result: unknown,
          ) => { action: AuditAction; target?: string; detail?: Record<string, unknown> },
        ) =>
        async (req: FastifyRequest, reply: FastifyReply) => {
          try {
            const typed = req as unknown as { params: Q['Params']; body: Q['Body']; query: Q['Querystring'] };
            const result = await fn(typed);
            if (audit && action) {
              const { action: a, ...subject } = action(typed, result);
              await audit.recordAfter(req, a, subject);
            }
            return result;
          } catch (err) {
            return sendRequestError(reply, err);
          }
        };
      type P = { Params: { id: string }; Body: unknown; Querystring: Record<string, string | undefined> };

      app.get(R.targets, async () => service.targets());
      app.post(
        R.targets,
        guard<P>(
          (req) => service.putTarget(req.body as BackupTargetConfigInput),
          (_req, r) => ({
            action: 'setting-change',
            target: `backup target ${(r as { id?: string }).id ?? ''}`,
            detail: { change: 'saved' },
          }),
        ),
      );
      app.put(
        R.target,
        guard<P>(
          (req) => service.putTarget(req.body as BackupTargetConfigInput, req.params.id),
          (req) => ({
            action: 'setting-change',
            target: `backup target ${req.params.id}`,
            detail: { change: 'saved' },
          }),
        ),
      );
      app.delete(
        R.target,
        guard<P>(
          async (req) => {
            await service.deleteTarget(req.params.id);
            return { ok: true };
          },
          (req) => ({
            action: 'setting-change',
            target: `backup target ${req.params.id}`,
            detail: { change: 'removed' },
          }),
        ),
      );
      // Test a target before saving it (body: its settings) or a saved one (by id).
      app.post(
        R.targetTest,
        guard<P>((req) => service.testTarget(req.body as BackupTargetConfigInput)),
      );
      app.post(
        R.savedTargetTest,
        guard<P>((req) => service.testTarget(req.params.id)),
      );
      app.get(
        R.targetBackups,
        guard<P>((req) => service.listBackups(req.params.id)),
      );

      app.get(R.jobs, async () => service.jobs());
      app.post(
        R.jobs,
        guard<P>(
          (req) => service.putJob(req.body as BackupJobConfigInput),
          (_req, r) => ({
            action: 'setting-change',
            target: `backup job ${(r as { id?: string }).id ?? ''}`,
            detail: { change: 'saved' },
          }),
        ),
      );
      app.put(
        R.job,
        guard<P>(
          (req) => service.putJob(req.body as BackupJobConfigInput, req.params.id),
          (req) => ({
            action: 'setting-change',
            target: `backup job ${req.params.id}`,
            detail: { change: 'saved' },
          }),
        ),
      );
      app.delete(
        R.job,
        guard<P>(
          async (req) => {
            await service.deleteJob(req.params.id);
            return { ok: true };
          },
          (req) => ({
            action: 'setting-change',
            target: `backup job ${req.params.id}`,
            detail: { change: 'removed' },
          }),
        ),
      );
      app.post(
        R.jobRun,
        guard<P>(
          (req) => service.runNow(req.params.id),
          (req) => ({ action: 'backup', target: `backup job ${req.params.id}`, detail: { run: 'started' } }),
        ),
      );
      app.post(
        R.jobCancel,
        guard<P>((req) => ({ cancelled: service.cancel(req.params.id) })),
      );

      app.get(R.progress, async () => service.progress());
      app.get(
        R.history,
        guard<P>((req) => {
          const limit = Number(req.query.limit ?? 50);
          if (!Number.isInteger(limit) || limit < 1 || limit > 500)
            throw new BackupRequestError('limit: expected a whole number from 1 to 500', 400, 'limit');
          return service.history(limit);
        }),
      );
      app.post(
        R.verify,
        guard<P>(
          (req) => {
            const b = VerifyBody.parse(req.body);
            return service.verify(b.targetId, b.backupId);
          },
          (req, r) => ({
            action: 'verify',
            target: `backup target ${(req.body as { targetId?: string }).targetId ?? ''}`,
            detail: { backupId: (req.body as { backupId?: string }).backupId, ...verifySummary(r) },
          }),
        ),
      );
      app.post(
        R.restore,
        guard<P>(
          (req) => {
            const b = RestoreBody.parse(req.body);
            return service.restore(b.targetId, b.backupId, b);
          },
          (req, r) => ({
            action: 'restore',
            target: `backup target ${(req.body as { targetId?: string }).targetId ?? ''}`,
            detail: { backupId: (req.body as { backupId?: string }).backupId, ...verifySummary(r) },
          }),
        ),
      );
    },
  };
}
