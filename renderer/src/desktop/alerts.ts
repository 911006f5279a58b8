import { useEffect, useRef } from 'react';
import type { VigilAlert } from '../../../backend/src/contract';
import { desktopApi } from './bridge';

const PREF = 'vigil.desktop.notifications';

/** Whether new alerts are shown as desktop notifications (on unless turned off in the Desktop view). */
export function desktopNotificationsEnabled(): boolean {
  return localStorage.getItem(PREF) !== '0';
}

export function setDesktopNotificationsEnabled(on: boolean): void {
  localStorage.setItem(PREF, on ? '1' : '0');
}

/**
 * Shows each alert raised while this window is open as a native notification (desktop app only); a click on it
 * brings the window forward on that camera. Alerts already open when the window loaded are not announced again.
 */
export function useDesktopAlertNotifications(
  alerts: readonly VigilAlert[],
  cameraName: (id: string) => string,
  /** False until the camera list has loaded (or failed to), so that the notification names the camera. */
  namesReady: boolean,
): void {
  const since = useRef(Date.now() - 5000);
  const announced = useRef(new Set<string>());
  useEffect(() => {
    const vigil = desktopApi();
    if (!vigil || !namesReady || !desktopNotificationsEnabled()) return;
    for (const a of alerts) {
      if (a.state !== 'new' || a.raisedTs < since.current || announced.current.has(a.id)) continue;
      announced.current.add(a.id);
      const where = [cameraName(a.cameraId), a.zone].filter(Boolean).join(' · ');
      void vigil
        .notify({ title: a.ruleName, body: `${a.label} · ${where}`, cameraId: a.cameraId, alertId: a.id })
        .catch(() => {
          // The OS may refuse notifications; the alerts panel still shows the alert.
        });
    }
  }, [alerts, cameraName, namesReady]);
}
