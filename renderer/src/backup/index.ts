import { BackupPage } from './BackupPage';

/** Registration of the Backup page for the application shell's navigation (route "#/backup"). */
export const backupView = { id: 'backup', label: 'Backup', component: BackupPage } as const;
export { BackupPage };
