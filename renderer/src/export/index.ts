export { ExportDialog, type ExportDialogProps } from './ExportDialog';
