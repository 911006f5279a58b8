import crypto from 'node:crypto';
import type { DisplayInfo, Rect } from './electron-adapter.js';
import type { DesktopSettings, WallPlacement } from './settings.js';

/**
 * A key for the current display arrangement (which monitors, where, how large). Wall windows and the main window
 * are remembered per key, so a control room's layout comes back when the same monitors are plugged in again, and
 * a laptop on its own does not inherit it.
 */
export function arrangementKey(displays: readonly DisplayInfo[]): string {
  const parts = [...displays]
    .sort((a, b) => a.id - b.id)
    .map((d) => `${d.id}@${d.bounds.x},${d.bounds.y},${d.bounds.width}x${d.bounds.height}`);
  return crypto.createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 16);
}

/** The wall windows to open for this arrangement: the remembered ones whose display is present. */
export function wallsFor(settings: DesktopSettings, displays: readonly DisplayInfo[]): WallPlacement[] {
  const ids = new Set(displays.map((d) => d.id));
  return (settings.walls[arrangementKey(displays)] ?? []).filter((p) => ids.has(p.displayId));
}

/** Whether a rectangle is at least partly visible (40 px) on one of the displays. */
export function isVisible(rect: Rect, displays: readonly DisplayInfo[]): boolean {
  return displays.some((d) => {
    const w = Math.min(rect.x + rect.width, d.workArea.x + d.workArea.width) - Math.max(rect.x, d.workArea.x);
    const h =
      Math.min(rect.y + rect.height, d.workArea.y + d.workArea.height) - Math.max(rect.y, d.workArea.y);
    return w >= 40 && h >= 40;
  });
}

/** Where the main window opens: its remembered bounds for this arrangement if still visible, else centred on the primary display. */
export function mainWindowBounds(settings: DesktopSettings, displays: readonly DisplayInfo[]): Rect {
  const saved = settings.mainWindow[arrangementKey(displays)];
  if (saved && isVisible(saved, displays)) return saved;
  const primary = displays.find((d) => d.primary) ?? displays[0];
  const area = primary?.workArea ?? { x: 0, y: 0, width: 1280, height: 800 };
  const width = Math.min(1440, area.width);
  const height = Math.min(900, area.height);
  return {
    x: area.x + Math.round((area.width - width) / 2),
    y: area.y + Math.round((area.height - height) / 2),
    width,
    height,
  };
}

/**
 * Whether window positions are honoured. Electron 38+ runs natively on Wayland when the session is one
 * (XDG_SESSION_TYPE=wayland, electron/electron#48001 and #48301) unless started with --ozone-platform=x11; a
 * Wayland client cannot place its windows, the compositor does. Windows, macOS and X11 honour x/y.
 */
export function windowPlacementFor(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  ozonePlatformSwitch: string | undefined,
): 'exact' | 'compositor' {
  if (platform !== 'linux') return 'exact';
  if (ozonePlatformSwitch === 'x11') return 'exact';
  if (ozonePlatformSwitch === 'wayland') return 'compositor';
  const session = env.XDG_SESSION_TYPE?.toLowerCase();
  if (session === 'wayland') return 'compositor';
  if (session === 'x11') return 'exact';
  return env.WAYLAND_DISPLAY ? 'compositor' : 'exact';
}
