import { useSyncExternalStore } from 'react';
import type { RealtimeMessage } from '../../../backend/src/contract';
import { DetectionBuffer } from '../live/overlay';
import { api, path, Routes } from './api-client';
import { realtime } from './realtime';
import type {
  AlertSiteSettings,
  CameraStatus,
  FrameDetections,
  Incident,
  Snooze,
  VigilAlert,
} from '../../../backend/src/contract';

/** A tiny observable value for useSyncExternalStore. */
class Observable<T> {
  #listeners = new Set<() => void>();
  constructor(public value: T) {}
  set(value: T): void {
    this.value = value;
    for (const l of this.#listeners) l();
  }
  subscribe = (l: () => void): (() => void) => {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  };
}

export interface CamerasState {
  list: CameraStatus[];
  /** Why the list could not be loaded, in words. */
  error?: string;
  loaded: boolean;
}

const cameras = new Observable<CamerasState>({ list: [], loaded: false });
const alerts = new Observable<VigilAlert[]>([]);
const alertsError = new Observable<string | undefined>(undefined);
/** Incidents not yet resolved (new and acknowledged), kept current by the realtime feed. */
const incidents = new Observable<Incident[]>([]);
const incidentsError = new Observable<string | undefined>(undefined);
const snoozes = new Observable<Snooze[]>([]);
const alertSettings = new Observable<AlertSiteSettings | undefined>(undefined);
const buffers = new Map<string, DetectionBuffer>();
/** Wall-clock time each camera's detections last arrived. */
const lastDetection = new Map<string, number>();
/** Recent delays from frame capture to its detections arriving here, per camera (ms). */
const detectionLags = new Map<string, number[]>();

const analysisIntervals = new Map<string, { lastTs: number; gaps: number[] }>();

/**
 * Time between two analysis frames of a camera (ms; 200 at 5 fps), from the shortest of the recent gaps between
 * detection sets (the 10th percentile: when detection skips frames, motion gating or a busy detector, gaps are
 * multiples of it). A detection set belongs to its frame and the next ones up to this long; older sets are stale.
 */
export function analysisIntervalMs(cameraId: string): number | undefined {
  const gaps = analysisIntervals.get(cameraId)?.gaps;
  if (!gaps?.length) return undefined;
  const sorted = [...gaps].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 10)];
}

/**
 * How long after capture a camera's detections arrive here (ms): the 90th percentile of the recent ones, so that
 * nearly every frame's boxes are there when the frame is shown.
 */
export function detectionLagMs(cameraId: string): number | undefined {
  const lags = detectionLags.get(cameraId);
  if (!lags?.length) return undefined;
  const sorted = [...lags].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))];
}

export function detectionBuffer(cameraId: string): DetectionBuffer {
  let b = buffers.get(cameraId);
  if (!b) {
    b = new DetectionBuffer();
    buffers.set(cameraId, b);
  }
  return b;
}

export function lastDetectionAt(cameraId: string): number | undefined {
  return lastDetection.get(cameraId);
}

/** The incidents not yet resolved, as the alert panel and the sites view ask for them. */
export const OPEN_INCIDENTS_PATH = path(
  Routes.incidents.incidents,
  {},
  { state: ['new', 'acknowledged'], limit: 200 },
);

async function loadCameras(): Promise<void> {
  const r = await api.get<CameraStatus[]>(Routes.video.cameras);
  if (r.ok) cameras.set({ list: Array.isArray(r.data) ? r.data : [], loaded: true });
  else
    cameras.set({
      ...cameras.value,
      loaded: true,
      error: r.notAvailable ? 'Cameras: not available.' : r.message,
    });
}

async function loadIncidents(): Promise<void> {
  const r = await api.get<Incident[]>(OPEN_INCIDENTS_PATH);
  if (r.ok && Array.isArray(r.data)) {
    // The list is the truth for what is open; realtime updates newer than it are kept.
    const fresh = mergeIncidents([], r.data);
    incidents.set(
      mergeIncidents(
        fresh,
        incidents.value.filter(
          (i) =>
            !fresh.some((f) => f.id === i.id) && i.state !== 'resolved' && Date.now() - i.updatedTs < 15_000,
        ),
      ),
    );
    incidentsError.set(undefined);
  } else if (!r.ok) incidentsError.set(r.notAvailable ? 'Incidents: not available.' : r.message);
}

/** Loads the active snoozes (shown to everyone on duty). */
export async function loadSnoozes(): Promise<void> {
  const r = await api.get<Snooze[]>(Routes.incidents.snoozes);
  if (r.ok && Array.isArray(r.data)) snoozes.set(r.data);
}

/** Loads the site's alert settings (sound, channels, escalation). */
export async function loadAlertSettings(): Promise<void> {
  const r = await api.get<AlertSiteSettings>(Routes.incidents.alertSettings);
  if (r.ok && r.data) alertSettings.set(r.data);
}

/** Merges incidents by id: the one changed last wins (a stale realtime message never undoes an acknowledgement). */
export function mergeIncidents(current: Incident[], incoming: Incident[]): Incident[] {
  const byId = new Map(current.map((i) => [i.id, i]));
  for (const i of incoming) {
    const old = byId.get(i.id);
    const rank = { new: 0, acknowledged: 1, resolved: 2 } as const;
    if (
      !old ||
      rank[i.state] > rank[old.state] ||
      (rank[i.state] === rank[old.state] && i.updatedTs >= old.updatedTs)
    )
      byId.set(i.id, i);
  }
  return [...byId.values()];
}

/** Merges alerts by id, newest state wins. */
export function mergeAlerts(current: VigilAlert[], incoming: VigilAlert[]): VigilAlert[] {
  const byId = new Map(current.map((a) => [a.id, a]));
  for (const a of incoming) byId.set(a.id, { ...byId.get(a.id), ...a });
  return [...byId.values()];
}

/**
 * Keeps one detection set for the overlays of a feed: a camera id of this site, or another key for a camera of
 * another site (see sites/live.ts), with its arrival delay and the gaps between analysis frames.
 */
export function recordDetections(feed: string, frame: FrameDetections): void {
  detectionBuffer(feed).push(frame);
  lastDetection.set(feed, Date.now());
  const lags = detectionLags.get(feed) ?? [];
  lags.push(Date.now() - frame.ts);
  if (lags.length > 25) lags.shift();
  detectionLags.set(feed, lags);
  const iv = analysisIntervals.get(feed) ?? { lastTs: 0, gaps: [] };
  const gap = frame.ts - iv.lastTs;
  if (iv.lastTs && gap > 0 && gap < 10_000) {
    iv.gaps.push(gap);
    if (iv.gaps.length > 25) iv.gaps.shift();
  }
  iv.lastTs = Math.max(iv.lastTs, frame.ts);
  analysisIntervals.set(feed, iv);
}

function onMessage(m: RealtimeMessage): void {
  switch (m.kind) {
    case 'detections':
      recordDetections(m.data.cameraId, m.data);
      break;
    case 'health': {
      const list = cameras.value.list;
      const i = list.findIndex((c) => c.id === m.data.id);
      if (i >= 0) {
        const next = [...list];
        next[i] = { ...list[i], ...m.data } as CameraStatus;
        cameras.set({ ...cameras.value, list: next });
      } else void loadCameras();
      break;
    }
    case 'alert':
      alerts.set(mergeAlerts(alerts.value, [m.data]));
      break;
    case 'incident':
      incidents.set(mergeIncidents(incidents.value, [m.data]));
      break;
    case 'event':
      break;
  }
}

let started = false;
/** Starts the shared data feeds of the window (once). */
export function startFeeds(): void {
  if (started) return;
  started = true;
  realtime().on(onMessage);
  void loadCameras();
  void loadIncidents();
  void loadSnoozes();
  void loadAlertSettings();
  setInterval(() => void loadCameras(), 5000);
  setInterval(() => {
    void loadIncidents();
    void loadSnoozes();
  }, 15000);
}

export function reloadCameras(): Promise<void> {
  return loadCameras();
}

export function useCameras(): CamerasState {
  return useSyncExternalStore(cameras.subscribe, () => cameras.value);
}

export function useAlerts(): VigilAlert[] {
  return useSyncExternalStore(alerts.subscribe, () => alerts.value);
}

export function useAlertsError(): string | undefined {
  return useSyncExternalStore(alertsError.subscribe, () => alertsError.value);
}

export function useIncidents(): Incident[] {
  return useSyncExternalStore(incidents.subscribe, () => incidents.value);
}

export function useIncidentsError(): string | undefined {
  return useSyncExternalStore(incidentsError.subscribe, () => incidentsError.value);
}

export function setIncidents(changed: Incident[]): void {
  incidents.set(mergeIncidents(incidents.value, changed));
}

export function useSnoozes(): Snooze[] {
  return useSyncExternalStore(snoozes.subscribe, () => snoozes.value);
}

export function useAlertSettings(): AlertSiteSettings | undefined {
  return useSyncExternalStore(alertSettings.subscribe, () => alertSettings.value);
}

export function setAlertSettings(settings: AlertSiteSettings): void {
  alertSettings.set(settings);
}

export function setAlert(alert: VigilAlert): void {
  alerts.set(mergeAlerts(alerts.value, [alert]));
}
