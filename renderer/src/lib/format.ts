/**
 * How the renderer writes sizes, times and durations. Sizes are decimal (1 kB = 1000 bytes, like disk makers and
 * the backup bandwidth limit in MB/s), on every page.
 */

const BYTE_UNITS = ['kB', 'MB', 'GB', 'TB', 'PB'] as const;

/** 1_536_000 → "1.5 MB"; 999 → "999 B"; not a number → "–". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) < 1000) return `${Math.round(n)} B`;
  let v = n / 1000;
  let i = 0;
  // Rounding is checked too, so 999_999 bytes reads "1.0 MB", not "1000 kB".
  while (i < BYTE_UNITS.length - 1 && Math.abs(Number(v.toFixed(Math.abs(v) < 10 ? 1 : 0))) >= 1000) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(Math.abs(v) < 10 ? 1 : 0)} ${BYTE_UNITS[i]}`;
}

/** A clock time ("14:03:07"), with the date in front when `withDate`, in the viewer's locale. */
export function formatTime(ts: number, withDate = false): string {
  const d = new Date(ts);
  const time = d.toLocaleTimeString([], { hour12: false });
  return withDate ? `${d.toLocaleDateString()} ${time}` : time;
}

/** Date and time in the viewer's locale (when something ran, was made, will run). */
export function formatDateTime(ts: number): string {
  return new Date(ts).toLocaleString();
}

/** A short duration: "45 s", "3 min 20 s", "2 h 5 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** "12.5 days", "about 3 months": how long, for people. */
export function formatDays(days: number): string {
  if (days < 1) return `${Math.max(0, Math.round(days * 24))} hours`;
  if (days < 60) return `${Math.round(days * 10) / 10} days`;
  if (days < 730) return `about ${Math.round(days / 30.4)} months`;
  return `about ${Math.round(days / 365)} years`;
}

/** A measured span in words: "40 seconds", "12 minutes", "5 hours", "3.5 days". */
export function formatSpan(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${Math.round(s)} seconds`;
  if (s < 5400) return `${Math.round(s / 60)} minutes`;
  if (s < 129_600) return `${Math.round(s / 3600)} hours`;
  return formatDays(s / 86_400);
}
