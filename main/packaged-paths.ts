/**
 * Paths in the packaged app, where the code lives in `resources/app.asar`: an archive file that Electron's fs
 * patches let JavaScript read like a folder, but that the OS knows nothing about (docs/tutorial/asar-archives.md).
 * - No process can have its working directory inside it: a utilityProcess forked with such a cwd is never launched
 *   and reports neither 'spawn' nor 'exit' (electron/electron#41396).
 * - Nothing can be executed from it: child_process.execFile is the one API Electron patches for archives (it copies
 *   the binary out first), spawn is not. Files listed in electron-builder's `asarUnpack` are kept next to it in
 *   `app.asar.unpacked` with the same relative paths, and must be used from there.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';

/** Whether a path is an asar archive or lies inside one (any path segment ending in `.asar`). */
export function isInsideAsar(p: string): boolean {
  return p.split(/[\\/]/).some((segment) => segment.toLowerCase().endsWith('.asar'));
}

/** The `app.asar.unpacked` twin of a path inside `app.asar`; other paths are returned unchanged. */
export function asarUnpackedPath(p: string): string {
  return p
    .split(/([\\/])/)
    .map((part) => (part.toLowerCase().endsWith('.asar') ? `${part}.unpacked` : part))
    .join('');
}

/**
 * The working directory of the backend process: the app folder in development; in the packaged app (app.asar, a
 * file) the per-user data folder, a real directory that always exists and is writable.
 */
export function backendWorkingDirectory(appPath: string, userDataPath: string): string {
  if (!isInsideAsar(appPath)) return appPath;
  fs.mkdirSync(userDataPath, { recursive: true });
  return userDataPath;
}

/** What the start check found out about an ffmpeg binary. */
export type BinaryCheck =
  { ok: true; path: string; version: string } | { ok: false; path: string; error: string };

/** Runs `<binary> -version` (within the time-out) and reports its first line, or why it does not run. */
export function checkBinaryRuns(binary: string, timeoutMs = 10_000): Promise<BinaryCheck> {
  return new Promise((resolve) => {
    const fail = (err: unknown): void => {
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      const why = e.killed ? `did not answer within ${timeoutMs} ms` : (e.code ?? e.message);
      resolve({ ok: false, path: binary, error: `${binary} does not run: ${String(why)}` });
    };
    try {
      execFile(binary, ['-version'], { timeout: timeoutMs, windowsHide: true }, (err, stdout) => {
        if (err) return fail(err);
        resolve({ ok: true, path: binary, version: stdout.split('\n')[0]?.trim() ?? '' });
      });
    } catch (err) {
      // Some failures (a path through a file, ENOTDIR) are thrown by spawn itself.
      fail(err);
    }
  });
}

/**
 * The ffmpeg the packaged backend should use: `ffmpeg-static`'s binary, which its module reports inside app.asar,
 * taken from `app.asar.unpacked` instead, if it is there and runs. Undefined when the package was not installed
 * at build time or its binary does not run here: the backend then looks for the system's ffmpeg.
 */
export async function bundledFfmpeg(
  resolveModule: () => unknown,
): Promise<{ path?: string; report: string }> {
  let reported: unknown;
  try {
    reported = resolveModule();
  } catch {
    return { report: 'ffmpeg-static is not bundled: the system ffmpeg will be used' };
  }
  if (typeof reported !== 'string' || !reported)
    return { report: 'ffmpeg-static has no binary for this platform: the system ffmpeg will be used' };
  const binary = asarUnpackedPath(reported);
  const check = await checkBinaryRuns(binary);
  if (!check.ok) return { report: `${check.error}; the system ffmpeg will be used` };
  return { path: binary, report: `ffmpeg: ${binary} (${check.version})` };
}
