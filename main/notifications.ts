import type { DesktopAlertNotification } from '../backend/src/contract/desktop.js';
import type { ElectronAdapter } from './electron-adapter.js';
import { createMainLogger } from './log.js';

/**
 * Native notifications for alerts. A click brings the main window forward and tells it which camera to show. A
 * burst (a crowd walking past ten cameras) is folded into one summary instead of burying the desktop.
 */
export class AlertNotifier {
  readonly #log = createMainLogger('main.notifications');
  #recent: number[] = [];
  #suppressed = 0;
  #summaryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly electron: Pick<ElectronAdapter, 'notificationsSupported' | 'showNotification'>,
    private readonly onFocusCamera: (cameraId: string) => void,
    private readonly limit = { count: 5, windowMs: 10_000 },
  ) {}

  /** Shows an alert, or counts it into the next summary when too many came in the last seconds. */
  notify(alert: DesktopAlertNotification): boolean {
    if (!this.electron.notificationsSupported()) return false;
    const now = Date.now();
    this.#recent = this.#recent.filter((t) => now - t < this.limit.windowMs);
    if (this.#recent.length >= this.limit.count) {
      this.#suppressed++;
      this.#summaryTimer ??= setTimeout(() => this.#summary(alert.cameraId), this.limit.windowMs);
      return false;
    }
    this.#recent.push(now);
    this.electron.showNotification({
      title: alert.title,
      body: alert.body,
      silent: false,
      onClick: () => this.onFocusCamera(alert.cameraId),
    });
    return true;
  }

  #summary(lastCameraId: string): void {
    this.#summaryTimer = undefined;
    const n = this.#suppressed;
    this.#suppressed = 0;
    if (n === 0) return;
    this.#log.info({ suppressed: n }, 'alert burst summarised');
    this.electron.showNotification({
      title: `${n} more alert${n === 1 ? '' : 's'}`,
      body: 'Open Vigil to see them all.',
      silent: true,
      onClick: () => this.onFocusCamera(lastCameraId),
    });
  }

  dispose(): void {
    if (this.#summaryTimer) clearTimeout(this.#summaryTimer);
    this.#summaryTimer = undefined;
  }
}
