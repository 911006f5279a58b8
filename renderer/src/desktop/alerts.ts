import { useEffect, useRef } from 'react';
import type { Incident } from '../../../backend/src/contract';
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
 * Shows each incident opened while this window is open as a native notification (desktop app only); a click on it
 * brings the window forward on that camera. Incidents already open when the window loaded are not announced again.
 */
export function useDesktopIncidentNotifications(
  incidents: readonly Incident[],
  cameraName: (id: string) => string,
  /** False until the camera list has loaded (or failed to), so that the notification names the camera. */
  namesReady: boolean,
): void {
  const since = useRef(Date.now() - 5000);
  const announced = useRef(new Set<string>());
  useEffect(() => {
    const vigil = desktopApi();
    if (!vigil || !namesReady || !desktopNotificationsEnabled()) return;
    for (const i of incidents) {
      if (i.state !== 'new' || i.startTs < since.current || announced.current.has(i.id)) continue;
      announced.current.add(i.id);
      const where = [cameraName(i.cameraId), i.zone].filter(Boolean).join(' · ');
      void vigil
        .notify({
          title: i.ruleNames.join(', ') || 'Incident',
          body: `${i.labels.join(', ')} · ${where}`,
          cameraId: i.cameraId,
          alertId: i.id,
        })
        .catch(() => {
          // The OS may refuse notifications; the incident panel still shows the incident.
        });
    }
  }, [incidents, cameraName, namesReady]);
}
