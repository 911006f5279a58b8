import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createLogger } from '../platform/log.js';

/** A file or folder as WebHDFS describes it (the fields Vigil uses). */
export interface HdfsFileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  /** ms since the epoch */
  modificationTime: number;
}

export interface WebHdfsOptions {
  /** Namenode HTTP address, e.g. http://namenode:9870. */
  namenodeUrl: string;
  /** User for simple authentication (`user.name`). */
  user: string;
  /** Attempts for a request that failed on the network, a 5xx or a retriable exception. Default 4. */
  attempts?: number;
  /** Per-request time limit. Default 30 s. */
  timeoutMs?: number;
}

/** An error answered by HDFS (a RemoteException) or by the HTTP layer. */
export class WebHdfsError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly exception?: string,
  ) {
    super(message);
    this.name = 'WebHdfsError';
  }
  get notFound(): boolean {
    return this.status === 404 || this.exception === 'FileNotFoundException';
  }
}

type Body = () => Readable | Buffer | undefined;

const RETRIABLE_EXCEPTIONS = new Set(['RetriableException', 'StandbyException', 'SafeModeException']);

/**
 * A WebHDFS REST client (https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/WebHDFS.html): the
 * namenode answers data operations (CREATE, APPEND, OPEN) with a 307 redirect to a datanode, which the client
 * follows by hand, sending the body only to the datanode. Network errors, 5xx answers and retriable exceptions
 * (safe mode, standby namenode) are retried with backoff; uploads restart from the beginning of the body.
 */
export class WebHdfsClient {
  readonly #log = createLogger('store-video.webhdfs');
  readonly #base: string;
  readonly #attempts: number;
  readonly #timeoutMs: number;

  constructor(private readonly options: WebHdfsOptions) {
    this.#base = `${options.namenodeUrl.replace(/\/+$/, '')}/webhdfs/v1`;
    this.#attempts = Math.max(1, options.attempts ?? 4);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  #url(path: string, op: string, params: Record<string, string | number | boolean> = {}): string {
    if (!path.startsWith('/')) throw new Error(`HDFS path must be absolute: "${path}"`);
    const encoded = path
      .split('/')
      .map((p) => encodeURIComponent(p))
      .join('/');
    const q = new URLSearchParams({ op, 'user.name': this.options.user });
    for (const [k, v] of Object.entries(params)) q.set(k, String(v));
    return `${this.#base}${encoded}?${q.toString()}`;
  }

  async #raise(res: Response, what: string): Promise<never> {
    let exception: string | undefined;
    let detail = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { RemoteException?: { exception?: string; message?: string } };
      if (body.RemoteException) {
        exception = body.RemoteException.exception;
        detail = `${exception ?? 'RemoteException'}: ${body.RemoteException.message ?? ''}`;
      }
    } catch {
      // Not JSON: keep the status line.
    }
    throw new WebHdfsError(`WebHDFS ${what}: ${detail}`, res.status, exception);
  }

  /**
   * Sends a request with retries. For data operations (`redirect`), the first request goes to the namenode
   * without a body and the body is sent to the datanode named in the 307 Location.
   */
  async #request(
    method: string,
    url: string,
    what: string,
    opts: { body?: Body; redirect?: boolean; okStatus?: number[] } = {},
  ): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#attempts; attempt++) {
      try {
        let target = url;
        if (opts.redirect) {
          const first = await fetch(url, {
            method,
            redirect: 'manual',
            signal: AbortSignal.timeout(this.#timeoutMs),
          });
          if (first.status === 307 || first.status === 302 || first.status === 303) {
            await first.body?.cancel();
            const location = first.headers.get('location');
            if (!location) throw new WebHdfsError(`WebHDFS ${what}: redirect without a Location`, 502);
            target = new URL(location, url).toString();
          } else if (first.ok && !opts.body) {
            return first; // some gateways (HttpFS) answer directly
          } else {
            await this.#raise(first, what);
          }
        }
        const body = opts.body?.();
        const res = await fetch(target, {
          method,
          redirect: 'manual',
          body: body instanceof Readable ? (Readable.toWeb(body) as ReadableStream) : body,
          headers: body ? { 'content-type': 'application/octet-stream' } : undefined,
          signal: AbortSignal.timeout(this.#timeoutMs),
          ...(body instanceof Readable ? { duplex: 'half' } : {}),
        } as RequestInit);
        if (res.ok || opts.okStatus?.includes(res.status)) return res;
        await this.#raise(res, what);
      } catch (err) {
        lastError = err;
        const retriable =
          !(err instanceof WebHdfsError) ||
          err.status >= 500 ||
          (err.exception !== undefined && RETRIABLE_EXCEPTIONS.has(err.exception));
        if (!retriable || attempt === this.#attempts) break;
        const delay = Math.min(2_000, 100 * 2 ** attempt);
        this.#log.warn(
          { what, attempt, delay, err: (err as Error).message },
          'WebHDFS request failed: retrying',
        );
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    if (lastError instanceof WebHdfsError) throw lastError;
    throw new WebHdfsError(
      `WebHDFS ${what}: ${lastError instanceof Error ? (lastError.cause instanceof Error ? lastError.cause.message : lastError.message) : String(lastError)}`,
      0,
    );
  }

  async #json<T>(res: Response): Promise<T> {
    return (await res.json()) as T;
  }

  /** Creates a folder and its parents (MKDIRS). */
  async mkdirs(path: string): Promise<void> {
    const res = await this.#request('PUT', this.#url(path, 'MKDIRS'), `MKDIRS ${path}`);
    const { boolean: ok } = await this.#json<{ boolean: boolean }>(res);
    if (!ok) throw new WebHdfsError(`WebHDFS MKDIRS ${path}: refused`, 403);
  }

  /** Writes a file (CREATE, following the datanode redirect). `body` is called again on each retry. */
  async create(path: string, body: Body, options: { overwrite?: boolean } = {}): Promise<void> {
    const url = this.#url(path, 'CREATE', { overwrite: options.overwrite ?? false });
    await this.#request('PUT', url, `CREATE ${path}`, { body, redirect: true });
  }

  /** Writes a local file to `path`, streaming it. */
  createFromFile(path: string, localFile: string, options: { overwrite?: boolean } = {}): Promise<void> {
    return this.create(path, () => fs.createReadStream(localFile), options);
  }

  /**
   * Appends to a file (APPEND). Not retried blindly: a retry after a lost answer could append twice, so a failed
   * append surfaces to the caller, which can check the length with `getFileStatus`.
   */
  async append(path: string, data: Buffer): Promise<void> {
    const url = this.#url(path, 'APPEND');
    let sent = false;
    await this.#request('POST', url, `APPEND ${path}`, {
      redirect: true,
      body: () => {
        if (sent)
          throw new WebHdfsError(`WebHDFS APPEND ${path}: not retried (it may have been applied)`, 409);
        sent = true;
        return data;
      },
    });
  }

  /** Reads a file (OPEN, following the datanode redirect), optionally a byte range. */
  async open(path: string, range: { offset?: number; length?: number } = {}): Promise<Readable> {
    const params: Record<string, number> = {};
    if (range.offset !== undefined) params.offset = range.offset;
    if (range.length !== undefined) params.length = range.length;
    const res = await this.#request('GET', this.#url(path, 'OPEN', params), `OPEN ${path}`, {
      redirect: true,
    });
    if (!res.body) return Readable.from([]);
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  /** The status of a file or folder, or undefined when it does not exist (GETFILESTATUS). */
  async getFileStatus(path: string): Promise<HdfsFileStatus | undefined> {
    try {
      const res = await this.#request('GET', this.#url(path, 'GETFILESTATUS'), `GETFILESTATUS ${path}`);
      return (await this.#json<{ FileStatus: HdfsFileStatus }>(res)).FileStatus;
    } catch (err) {
      if (err instanceof WebHdfsError && err.notFound) return undefined;
      throw err;
    }
  }

  /** The entries of a folder (LISTSTATUS); an empty list when the folder does not exist. */
  async listStatus(path: string): Promise<HdfsFileStatus[]> {
    try {
      const res = await this.#request('GET', this.#url(path, 'LISTSTATUS'), `LISTSTATUS ${path}`);
      return (await this.#json<{ FileStatuses: { FileStatus: HdfsFileStatus[] } }>(res)).FileStatuses
        .FileStatus;
    } catch (err) {
      if (err instanceof WebHdfsError && err.notFound) return [];
      throw err;
    }
  }

  /** Renames a file; false when HDFS refused (the destination exists, the source is missing). */
  async rename(from: string, to: string): Promise<boolean> {
    const res = await this.#request('PUT', this.#url(from, 'RENAME', { destination: to }), `RENAME ${from}`);
    return (await this.#json<{ boolean: boolean }>(res)).boolean;
  }

  /** Deletes a file or folder; false when it did not exist. */
  async delete(path: string, options: { recursive?: boolean } = {}): Promise<boolean> {
    const url = this.#url(path, 'DELETE', { recursive: options.recursive ?? false });
    const res = await this.#request('DELETE', url, `DELETE ${path}`);
    return (await this.#json<{ boolean: boolean }>(res)).boolean;
  }
}
