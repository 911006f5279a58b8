/**
 * Turns ffmpeg's stderr into what an operator needs: the stream's codec and size, the progress counters, and the
 * reason a stream failed, in words.
 */

/** A failure classified from ffmpeg's log. */
export interface StreamProblem {
  reason: string;
  /** Errors that retrying will not fix without a change (credentials, missing file): the camera is "failed". */
  permanent: boolean;
  diskFull?: boolean;
  /** The input stopped delivering (a closed connection, truncated data): on a live feed, the stream was lost. */
  inputEnded?: boolean;
}

/** Where the source is, for messages ("127.0.0.1:8554"); never includes credentials. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return 'the source';
  }
}

/** Classifies one stderr line; undefined when it says nothing about a failure. */
export function classifyLine(line: string, target: string): StreamProblem | undefined {
  const l = line.toLowerCase();
  if (l.includes('connection refused'))
    return { reason: `connection refused at ${target}`, permanent: false };
  if (l.includes('401 unauthorized') || l.includes('authorization failed') || l.includes('403 forbidden'))
    return {
      reason: `authentication failed at ${target}: check the user name and password`,
      permanent: true,
    };
  if (l.includes('no route to host')) return { reason: `no route to host ${target}`, permanent: false };
  if (l.includes('network is unreachable'))
    return { reason: `network unreachable for ${target}`, permanent: false };
  if (
    l.includes('name or service not known') ||
    l.includes('failed to resolve hostname') ||
    l.includes('temporary failure in name resolution')
  )
    return { reason: `host name not found: ${target}`, permanent: true };
  if (l.includes('connection timed out') || l.includes('operation timed out') || /\btimed? ?out\b/.test(l))
    return { reason: `connection timed out to ${target}`, permanent: false };
  if (l.includes('404 not found'))
    return { reason: `stream not found (404) at ${target}: check the path`, permanent: true };
  if (l.includes('no such file or directory'))
    return { reason: `file not found: ${target}`, permanent: true };
  if (l.includes('no space left on device'))
    return { reason: 'disk full: recording stopped', permanent: false, diskFull: true };
  if (l.includes('invalid data found when processing input'))
    return {
      reason: `invalid data from ${target}: the stream is corrupt or not video`,
      permanent: false,
      inputEnded: true,
    };
  if (l.includes('connection reset by peer') || l.includes('end of file'))
    return { reason: `connection to ${target} was closed`, permanent: false, inputEnded: true };
  if (l.includes('does not contain any stream') || l.includes('matches no streams'))
    return { reason: `${target} has no video stream`, permanent: true };
  return undefined;
}

/** Lines that mean the input is damaged but still playing (counted, shown as a warning in the reason). */
export function isCorruptionWarning(line: string): boolean {
  return /non-monoton|timestamps are unset|pts has no value|error while decoding|concealing|corrupt|invalid nal|missing picture|decode_slice_header error|no frame!/i.test(
    line,
  );
}

/** Stream facts ffmpeg prints before it starts. */
export interface StreamInfo {
  codec?: string;
  width?: number;
  height?: number;
  fps?: number;
  /** Sizes of output streams by output index. */
  outputSizes: Map<number, { width: number; height: number }>;
}

/** Accumulates the header ffmpeg prints (Input #0 …, Output #N …) and the progress lines. */
export class FfmpegLogReader {
  readonly info: StreamInfo = { outputSizes: new Map() };
  /** Frames ffmpeg reported so far (the first output's video frames = frames received). */
  frames = 0;
  #section: { kind: 'input' | 'output'; index: number } | undefined;

  /** Feeds one line; returns true when it was a progress line. */
  read(line: string): boolean {
    const progress = /^frame=\s*(\d+)/.exec(line);
    if (progress) {
      this.frames = Number(progress[1]);
      return true;
    }
    const sec = /^(Input|Output) #(\d+)/.exec(line);
    if (sec) {
      this.#section = { kind: sec[1] === 'Input' ? 'input' : 'output', index: Number(sec[2]) };
      return false;
    }
    const stream = /Stream #\d+:\d+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})/.exec(line);
    if (stream && this.#section) {
      const width = Number(stream[2]);
      const height = Number(stream[3]);
      if (this.#section.kind === 'input' && this.info.codec === undefined) {
        this.info.codec = stream[1];
        this.info.width = width;
        this.info.height = height;
        const fps = /([\d.]+) fps/.exec(line);
        if (fps) this.info.fps = Number(fps[1]);
      } else if (this.#section.kind === 'output') {
        this.info.outputSizes.set(this.#section.index, { width, height });
      }
    }
    return false;
  }
}
