export { desktopApi } from './bridge';
export { useDesktopIncidentNotifications } from './alerts';
export { DownloadLink } from './DownloadLink';
export { DesktopConnectionBadge, DesktopView } from './DesktopView';
export { useDesktopFocusCamera } from './hooks';
