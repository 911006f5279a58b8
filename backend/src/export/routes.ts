import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Limits } from '../contract/config/limits.js';
import type { ApiError } from '../contract/api.js';
import {
  BackupApiRoutes,
  MAX_CASE_NUMBER,
  MAX_EXPORT_REASON,
  type EvidenceExportResult,
} from '../contract/backup.js';
import { requestActor } from '../api/auth.js';
import type { RouteModule } from '../api/server.js';
import { mayUseCamera } from '../api/scope.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { EvidenceExporter } from './exporter.js';
import type { SigningKey } from './signing.js';

const ExportBody = z.strictObject({
  cameraIds: z.array(z.string().min(1).max(63)).min(1, 'choose at least one camera').max(Limits.cameras),
  from: z.number().int().nonnegative().max(Limits.time),
  to: z.number().int().positive().max(Limits.time),
  format: z.enum(['zip', 'folder']).default('zip'),
  reason: z
    .string('the reason for the export (a request, an incident)')
    .trim()
    .min(3, 'the reason for the export (a request, an incident): at least 3 characters')
    .max(MAX_EXPORT_REASON, `at most ${MAX_EXPORT_REASON} characters`),
  caseNumber: z
    .string('the case number the export belongs to')
    .trim()
    .min(1, 'the case number the export belongs to')
    .max(MAX_CASE_NUMBER, `at most ${MAX_CASE_NUMBER} characters`)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._/#:-]*$/u, 'letters, digits, spaces and . _ / # : -'),
});

/** Longest range one export may cover: larger exports are split by the investigator. */
const MAX_RANGE_MS = 24 * 3_600_000;

export interface ExportRoutesOptions {
  exporter: EvidenceExporter;
  exportsDir: string;
  key: SigningKey;
  /** Records downloads of exports. */
  audit: AuditRecorder;
}

/** /api/export: signed evidence export, its download, and the installation's public key. */
export function exportRoutes(options: ExportRoutesOptions): RouteModule {
  return {
    name: 'export',
    register(app: FastifyInstance) {
      const base = BackupApiRoutes.export;
      app.get(BackupApiRoutes.exportKey, async () => ({
        fingerprint: options.key.fingerprint,
        publicKeyPem: options.key.publicKeyPem,
      }));

      app.post(base, async (req, reply) => {
        const parsed = ExportBody.safeParse(req.body);
        const bad = (message: string, field?: string): unknown => {
          const body: ApiError = { error: 'bad_request', message, ...(field ? { field } : {}) };
          return reply.code(400).send(body);
        };
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return bad(`${issue?.path.join('.') || 'body'}: ${issue?.message}`, issue?.path.join('.'));
        }
        const b = parsed.data;
        // Only cameras the caller may export; another camera answers as one that does not exist.
        const hidden = b.cameraIds.find((id) => !mayUseCamera(req, id, 'export'));
        if (hidden !== undefined) {
          const body: ApiError = {
            error: 'not_found',
            message: `No camera "${hidden}".`,
            field: 'cameraIds',
          };
          return reply.code(404).send(body);
        }
        if (b.to <= b.from) return bad('to: the end of the range must be after its start', 'to');
        if (b.to - b.from > MAX_RANGE_MS)
          return bad('the range is longer than 24 hours; export it in parts', 'to');
        try {
          const { manifest: _manifest, ...result } = await options.exporter.export(b, requestActor(req));
          return result satisfies EvidenceExportResult;
        } catch (err) {
          return bad((err as Error).message);
        }
      });

      app.get<{ Params: { id: string } }>(BackupApiRoutes.exportDownload, async (req, reply) => {
        const id = req.params.id;
        const file = path.join(options.exportsDir, `${id}.zip`);
        if (!/^[A-Za-z0-9_+-]+$/.test(id) || !fs.existsSync(file)) {
          const body: ApiError = { error: 'not_found', message: `there is no zip export "${id}"` };
          return reply.code(404).send(body);
        }
        await options.audit.record(req, 'export', { target: id, detail: { downloaded: true } });
        return reply
          .type('application/zip')
          .header('content-disposition', `attachment; filename="vigil-evidence-${id}.zip"`)
          .send(fs.createReadStream(file));
      });
    },
  };
}
