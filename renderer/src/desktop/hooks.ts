import { useEffect, useRef, useState } from 'react';
import type { DesktopConnectionStatus } from '../../../backend/src/contract/desktop';
import { desktopApi } from './bridge';

/** Calls `show(cameraId)` when a desktop notification is clicked (desktop app only). */
export function useDesktopFocusCamera(show: (cameraId: string) => void): void {
  const latest = useRef(show);
  useEffect(() => {
    latest.current = show;
  }, [show]);
  useEffect(() => desktopApi()?.onFocusCamera((id) => latest.current(id)), []);
}

/** The desktop shell's connection status (local backend or remote server), undefined in a browser. */
export function useDesktopConnectionStatus(): DesktopConnectionStatus | undefined {
  const [status, setStatus] = useState<DesktopConnectionStatus>();
  useEffect(() => desktopApi()?.onConnectionStatus(setStatus), []);
  return status;
}
