import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Limits } from '../contract/config/limits.js';
import type { ApiError } from '../contract/api.js';
import {
  BackupApiRoutes,
  CaseNumber,
  ExportReason,
  type EvidenceExportRequest,
  type EvidenceExportResult,
} from '../contract/backup.js';
import { TrailExportBody, trailDocument, trailExportSpan } from '../contract/investigation.js';
import type { SiteMapStore, TrailStore } from '../investigation/store.js';
import { noTrail, seesTrail } from '../investigation/visibility.js';
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
  reason: ExportReason,
  caseNumber: CaseNumber,
});

/** Longest range one export may cover: larger exports are split by the investigator. */
const MAX_RANGE_MS = 24 * 3_600_000;

export interface ExportRoutesOptions {
  exporter: EvidenceExporter;
  exportsDir: string;
  key: SigningKey;
  /** Records downloads of exports. */
  audit: AuditRecorder;
  /** Trails and the site map, for exports of a trail (`trailId`); without them only ranges are exported. */
  investigation?: { trails: TrailStore; siteMap: SiteMapStore };
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
        const bad = (message: string, field?: string): unknown => {
          const body: ApiError = { error: 'bad_request', message, ...(field ? { field } : {}) };
          return reply.code(400).send(body);
        };
        const refusal = (error: z.ZodError): unknown => {
          const issue = error.issues[0];
          return bad(`${issue?.path.join('.') || 'body'}: ${issue?.message}`, issue?.path.join('.'));
        };
        let trail: EvidenceExportRequest['trail'];
        let b: z.output<typeof ExportBody>;
        if (typeof req.body === 'object' && req.body !== null && 'trailId' in req.body) {
          // A trail: its cameras over the span of its confirmed sightings, with trail.json under the signature.
          const parsed = TrailExportBody.safeParse(req.body);
          if (!parsed.success) return refusal(parsed.error);
          const t = parsed.data;
          const found = options.investigation?.trails.get(t.trailId);
          if (!found || !seesTrail(req, found)) {
            const body: ApiError = { error: 'not_found', message: noTrail(t.trailId), field: 'trailId' };
            return reply.code(404).send(body);
          }
          const span = trailExportSpan(found, t.marginSec);
          if (!span)
            return bad('the trail has no confirmed sighting: confirm the sightings to export', 'trailId');
          const siteMap = options.investigation?.siteMap;
          const plan = siteMap?.plan();
          const planPath = plan ? `sitemap/plan.${plan.info.type.slice('image/'.length)}` : undefined;
          trail = {
            document: trailDocument(
              found,
              siteMap?.get().placements ?? [],
              plan && planPath
                ? { path: planPath, width: plan.info.width, height: plan.info.height }
                : undefined,
            ),
            ...(plan ? { plan: plan.bytes } : {}),
          };
          b = { ...span, format: t.format, reason: t.reason, caseNumber: t.caseNumber };
        } else {
          const parsed = ExportBody.safeParse(req.body);
          if (!parsed.success) return refusal(parsed.error);
          b = parsed.data;
        }
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
          const { manifest: _manifest, ...result } = await options.exporter.export(
            { ...b, ...(trail ? { trail } : {}) },
            requestActor(req),
          );
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
