export { desktopApi } from './bridge';
export { useDesktopAlertNotifications } from './alerts';
export { DownloadLink } from './DownloadLink';
export { DesktopConnectionBadge, DesktopView } from './DesktopView';
export { useDesktopFocusCamera } from './hooks';
