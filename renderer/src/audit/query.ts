import { AUDIT_ACTIONS, AuditApiRoutes, type AuditAction } from '../../../backend/src/contract/audit';

/** The Audit view's filters, as typed (times from datetime-local inputs). */
export interface AuditFilters {
  user: string;
  action: AuditAction | '';
  camera: string;
  from: string;
  to: string;
}

export const EMPTY_FILTERS: AuditFilters = { user: '', action: '', camera: '', from: '', to: '' };

export const ACTIONS: readonly AuditAction[] = AUDIT_ACTIONS;

/** The query string of GET /api/audit and its CSV export for these filters (empty ones left out). */
export function auditQuery(f: AuditFilters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  if (f.user.trim()) q.set('user', f.user.trim());
  if (f.action) q.set('action', f.action);
  if (f.camera.trim()) q.set('camera', f.camera.trim());
  const from = f.from ? new Date(f.from).getTime() : NaN;
  const to = f.to ? new Date(f.to).getTime() : NaN;
  if (Number.isFinite(from)) q.set('from', String(from));
  if (Number.isFinite(to)) q.set('to', String(to));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const auditListUrl = (f: AuditFilters, extra?: Record<string, string>) =>
  `${AuditApiRoutes.audit}${auditQuery(f, extra)}`;
export const auditCsvUrl = (f: AuditFilters) => `${AuditApiRoutes.auditCsv}${auditQuery(f)}`;

/** Detail fields that hold a time in ms since the epoch. */
const TIME_KEYS = /^(from|to|ts|untilTs|expiresTs)$/;

/** One line of what an entry's detail says, for the table (times as local date and time). */
export function detailText(detail: Record<string, unknown> | undefined): string {
  if (!detail) return '';
  return Object.entries(detail)
    .map(([k, v]) => {
      if (TIME_KEYS.test(k) && typeof v === 'number') return `${k}: ${new Date(v).toLocaleString()}`;
      return `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`;
    })
    .join(', ');
}
