import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { DesktopBackendInfo } from '../backend/src/contract/desktop.js';

/** A download the user is not allowed to make, or that the backend refused, in words. */
export class DownloadError extends Error {
  override readonly name = 'DownloadError';
}

/**
 * Saves a file the backend serves (an evidence export) where the user chose in the save dialog. Only the connected
 * backend's own API paths are fetched, with its token; the file is written next to the destination first and
 * renamed when complete, so a failed download never replaces or truncates a file that was there.
 */
export async function saveBackendFile(
  backend: DesktopBackendInfo,
  url: string,
  destination: string,
): Promise<{ bytes: number }> {
  let target: URL;
  try {
    target = new URL(url, backend.url);
  } catch {
    throw new DownloadError(`"${url}" is not a URL.`);
  }
  if (target.origin !== new URL(backend.url).origin || !target.pathname.startsWith('/api/')) {
    throw new DownloadError('Only files of the connected Vigil backend can be saved.');
  }
  const res = await fetch(target, { headers: { authorization: `Bearer ${backend.token}` } });
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new DownloadError(`The backend answered ${res.status} for ${target.pathname}.`);
  }
  const partial = path.join(path.dirname(destination), `.${path.basename(destination)}.${process.pid}.part`);
  try {
    await pipeline(
      Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      fs.createWriteStream(partial),
    );
    fs.renameSync(partial, destination);
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw new DownloadError(
      `Could not write ${destination}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return { bytes: fs.statSync(destination).size };
}
