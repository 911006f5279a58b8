import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError } from '../contract/api.js';
import {
  AuditApiRoutes,
  AuditQueryParams,
  type AuditEntry,
  type AuditFilter,
  type AuditLog,
} from '../contract/audit.js';
import { inputErrorFrom } from '../contract/store.js';
import type { RouteModule } from '../api/server.js';
import type { AuditRecorder } from './recorder.js';

/** Rows of one CSV download at most (newest first); the header says when it was cut. */
export const CSV_MAX_ROWS = 100_000;

export interface AuditRoutesOptions {
  log: AuditLog | (() => AuditLog);
  /**
   * The actors a caller may see, or undefined for everyone. The hook for a supervisor's team: the route narrows
   * every list, CSV and count to these actors (`AuditFilter.actors`).
   */
  visibleActors?: (req: FastifyRequest) => readonly string[] | undefined;
  /** Records each CSV export of the log (it leaves the installation like footage does). */
  audit?: AuditRecorder;
}

/** A CSV cell: quoted when needed, and never read as a formula by a spreadsheet (= + - @ get a leading '). */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text =
    typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const CSV_HEADER = ['seq', 'time', 'actor', 'action', 'camera', 'target', 'detail', 'hash'] as const;

/** One CSV line of an entry (CRLF-terminated, as RFC 4180 has it). */
export function csvLine(e: AuditEntry): string {
  return `${[e.seq, new Date(e.ts).toISOString(), e.actor, e.action, e.camera, e.target, e.detail, e.hash].map(csvCell).join(',')}\r\n`;
}

function parseFilter(req: FastifyRequest, reply: FastifyReply, visible: readonly string[] | undefined) {
  const parsed = AuditQueryParams.safeParse(req.query ?? {});
  if (!parsed.success) {
    const err = inputErrorFrom(parsed.error);
    const body: ApiError = { error: 'bad_request', message: err.message, field: err.field };
    void reply.code(400).send(body);
    return undefined;
  }
  const q = parsed.data;
  const filter: AuditFilter = {
    limit: q.limit ?? 200,
    ...(q.user !== undefined && q.user !== '' ? { actor: q.user } : {}),
    ...(q.action ? { action: q.action } : {}),
    ...(q.camera !== undefined && q.camera !== '' ? { camera: q.camera } : {}),
    ...(q.from !== undefined ? { from: q.from } : {}),
    ...(q.to !== undefined ? { to: q.to } : {}),
    ...(q.before !== undefined ? { before: q.before } : {}),
    ...(visible ? { actors: visible } : {}),
  };
  return filter;
}

/** /api/audit: the audit log, filtered; the same as CSV; and the chain's check. */
export function auditRoutes(options: AuditRoutesOptions): RouteModule {
  const log = typeof options.log === 'function' ? options.log : () => options.log as AuditLog;
  return {
    name: 'audit',
    register(app: FastifyInstance) {
      app.get(AuditApiRoutes.audit, async (req, reply) => {
        const filter = parseFilter(req, reply, options.visibleActors?.(req));
        if (!filter) return reply;
        return log().list(filter);
      });

      app.get(AuditApiRoutes.auditCsv, async (req, reply) => {
        const filter = parseFilter(req, reply, options.visibleActors?.(req));
        if (!filter) return reply;
        const { limit: _limit, actors: _actors, ...asked } = filter;
        await options.audit?.record(req, 'export', { target: 'audit log (CSV)', detail: { ...asked } });
        // Newest first, a page at a time (Elasticsearch answers at most 10,000 hits per search).
        let body = `${CSV_HEADER.join(',')}\r\n`;
        let rows = 0;
        let total = 0;
        let before = filter.before;
        while (rows < CSV_MAX_ROWS) {
          const want = Math.min(1000, CSV_MAX_ROWS - rows);
          const page = await log().list({
            ...filter,
            limit: want,
            ...(before !== undefined ? { before } : {}),
          });
          if (rows === 0) total = page.total;
          for (const e of page.entries) body += csvLine(e);
          rows += page.entries.length;
          const last = page.entries.at(-1);
          if (!last || page.entries.length < want) break;
          before = last.seq;
        }
        const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="vigil-audit-${stamp}.csv"`)
          .header('x-total-count', String(total))
          .send(body);
      });

      app.get(AuditApiRoutes.auditVerify, async () => log().verify());
    },
  };
}
