import { AuditView } from './AuditView';

/** Registration of the Audit view for the application shell's navigation (route "#/audit"). */
export const auditView = { id: 'audit', label: 'Audit', component: AuditView } as const;
export { AuditView };
