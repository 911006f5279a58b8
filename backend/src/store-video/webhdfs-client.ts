import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
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
  /**
   * The other namenode of an HA pair. Requests go to the namenode that last answered as active; a StandbyException
   * or an unreachable namenode switches to the other one.
   */
  haNamenodeUrl?: string;
  /** User for simple authentication (`user.name`); not sent when a delegation token is set. */
  user: string;
  /** A Hadoop delegation token (secure clusters), sent as `delegation` instead of `user.name`. */
  delegationToken?: string;
  /** Attempts for a request that failed on the network, a 5xx or a retriable exception. Default 4. */
  attempts?: number;
  /**
   * A request fails when no byte moves this long (connecting, waiting for an answer, or in the middle of a body).
   * Not a limit on the whole transfer: a large upload or read takes as long as it needs. Default 30 s.
   */
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
/** Network failures after which the other namenode of an HA pair is tried. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

class IdleTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
}

async function readText(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A WebHDFS REST client (https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/WebHDFS.html): the
 * namenode answers data operations (CREATE, APPEND, OPEN) with a 307 redirect to a datanode, which the client
 * follows by hand, sending the body only to the datanode. Network errors, 5xx answers and retriable exceptions
 * (safe mode, standby namenode) are retried with backoff; uploads restart from the beginning of the body.
 *
 * Requests go through node:http rather than fetch: a Hadoop 3 datanode answers every CREATE and APPEND with an
 * unsolicited `100 Continue` before its final answer (WebHdfsHandler.onCreate/onAppend call writeContinueHeader),
 * which node:http skips as an informational answer and undici's fetch rejects as a bad response.
 */
export class WebHdfsClient {
  readonly #log = createLogger('store-video.webhdfs');
  readonly #namenodes: string[];
  #active = 0;
  readonly #attempts: number;
  readonly #idleMs: number;
  readonly #agents = {
    http: new http.Agent({ keepAlive: false }),
    https: new https.Agent({ keepAlive: false }),
  };

  constructor(private readonly options: WebHdfsOptions) {
    this.#namenodes = [options.namenodeUrl, ...(options.haNamenodeUrl ? [options.haNamenodeUrl] : [])].map(
      (u) => `${u.replace(/\/+$/, '')}/webhdfs/v1`,
    );
    this.#attempts = Math.max(1, options.attempts ?? 4);
    this.#idleMs = options.timeoutMs ?? 30_000;
  }

  /** The namenode requests currently go to (the active one of an HA pair, as last seen). */
  get activeNamenode(): string {
    return new URL(this.#namenodes[this.#active] as string).origin;
  }

  #url(path: string, op: string, params: Record<string, string | number | boolean> = {}): string {
    if (!path.startsWith('/')) throw new Error(`HDFS path must be absolute: "${path}"`);
    const encoded = path
      .split('/')
      .map((p) => encodeURIComponent(p))
      .join('/');
    const q = new URLSearchParams({ op });
    if (this.options.delegationToken) q.set('delegation', this.options.delegationToken);
    else q.set('user.name', this.options.user);
    for (const [k, v] of Object.entries(params)) q.set(k, String(v));
    return `${this.#namenodes[this.#active]}${encoded}?${q.toString()}`;
  }

  /**
   * One HTTP exchange. The idle timer covers connecting, waiting for the answer and every gap in the request and
   * response bodies; it is reset by each byte, so only a stalled transfer fails.
   */
  #send(method: string, url: string, body?: Readable | Buffer): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const secure = u.protocol === 'https:';
      const req = (secure ? https : http).request(u, {
        method,
        agent: secure ? this.#agents.https : this.#agents.http,
        headers: body
          ? {
              'content-type': 'application/octet-stream',
              ...(Buffer.isBuffer(body) ? { 'content-length': body.length } : {}),
            }
          : { 'content-length': 0 },
        timeout: this.#idleMs,
      });
      let response: http.IncomingMessage | undefined;
      req.on('timeout', () => {
        const err = new IdleTimeoutError(`no data moved for ${this.#idleMs / 1000} s`);
        response?.destroy(err);
        req.destroy(err);
      });
      req.on('error', (err) => {
        // A body stream is made for one attempt: release it (and its file) when the request fails.
        if (body instanceof Readable) body.destroy();
        reject(err);
      });
      req.on('response', (res) => {
        response = res;
        resolve(res);
      });
      if (body instanceof Readable) {
        body.once('error', (err) => req.destroy(err));
        body.pipe(req);
      } else req.end(body);
    });
  }

  async #raise(res: http.IncomingMessage, what: string): Promise<never> {
    let exception: string | undefined;
    let detail = `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
    try {
      const body = JSON.parse(await readText(res)) as {
        RemoteException?: { exception?: string; message?: string };
      };
      if (body.RemoteException) {
        exception = body.RemoteException.exception;
        detail = `${exception ?? 'RemoteException'}: ${body.RemoteException.message ?? ''}`;
      }
    } catch {
      // Not JSON: keep the status line.
    }
    if (exception === 'InvalidToken' || (this.options.delegationToken && res.statusCode === 401))
      detail += ' (the HDFS delegation token was refused: it may have expired; fetch a new one)';
    else if (res.statusCode === 401)
      detail += ' (the cluster has security on: configure a delegation token; Kerberos is not supported)';
    throw new WebHdfsError(`WebHDFS ${what}: ${detail}`, res.statusCode ?? 0, exception);
  }

  /**
   * Sends a request with retries. For data operations (`redirect`), the first request goes to the namenode
   * without a body and the body is sent to the datanode named in the 307 Location.
   */
  async #request(
    method: string,
    url: () => string,
    what: string,
    opts: { body?: Body; redirect?: boolean; okStatus?: number[] } = {},
  ): Promise<http.IncomingMessage> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#attempts; attempt++) {
      let atNamenode = true;
      try {
        const nnUrl = url();
        let target = nnUrl;
        if (opts.redirect) {
          const first = await this.#send(method, nnUrl);
          const status = first.statusCode ?? 0;
          if (status === 307 || status === 302 || status === 303) {
            first.resume();
            const location = first.headers.location;
            if (!location) throw new WebHdfsError(`WebHDFS ${what}: redirect without a Location`, 502);
            target = new URL(location, nnUrl).toString();
          } else if (status >= 200 && status < 300 && !opts.body) {
            return first; // some gateways (HttpFS) answer directly
          } else {
            await this.#raise(first, what);
          }
          atNamenode = false;
        }
        const res = await this.#send(method, target, opts.body?.());
        const status = res.statusCode ?? 0;
        if ((status >= 200 && status < 300) || opts.okStatus?.includes(status)) return res;
        await this.#raise(res, what);
      } catch (err) {
        lastError = err;
        const code = (err as NodeJS.ErrnoException).code;
        const standby = err instanceof WebHdfsError && err.exception === 'StandbyException';
        const retriable =
          !(err instanceof WebHdfsError) ||
          err.status >= 500 ||
          (err.exception !== undefined && RETRIABLE_EXCEPTIONS.has(err.exception));
        if (!retriable || attempt === this.#attempts) break;
        // HA pair: a standby or unreachable namenode hands over to the other one at once, as Hadoop's own
        // WebHdfsFileSystem does (FAILOVER_AND_RETRY → resetStateToFailOver).
        if (this.#namenodes.length > 1 && atNamenode && (standby || (code && UNREACHABLE.has(code)))) {
          this.#active = (this.#active + 1) % this.#namenodes.length;
          this.#log.warn(
            { what, namenode: this.activeNamenode },
            'namenode standby or unreachable: failing over',
          );
          if (attempt === 1) continue;
        }
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

  async #json<T>(res: http.IncomingMessage): Promise<T> {
    return JSON.parse(await readText(res)) as T;
  }

  /** Creates a folder and its parents (MKDIRS). */
  async mkdirs(path: string): Promise<void> {
    const res = await this.#request('PUT', () => this.#url(path, 'MKDIRS'), `MKDIRS ${path}`);
    const { boolean: ok } = await this.#json<{ boolean: boolean }>(res);
    if (!ok) throw new WebHdfsError(`WebHDFS MKDIRS ${path}: refused`, 403);
  }

  /** Writes a file (CREATE, following the datanode redirect). `body` is called again on each retry. */
  async create(path: string, body: Body, options: { overwrite?: boolean } = {}): Promise<void> {
    const url = () => this.#url(path, 'CREATE', { overwrite: options.overwrite ?? false });
    const res = await this.#request('PUT', url, `CREATE ${path}`, { body, redirect: true });
    res.resume();
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
    const url = () => this.#url(path, 'APPEND');
    let sent = false;
    const res = await this.#request('POST', url, `APPEND ${path}`, {
      redirect: true,
      body: () => {
        if (sent)
          throw new WebHdfsError(`WebHDFS APPEND ${path}: not retried (it may have been applied)`, 409);
        sent = true;
        return data;
      },
    });
    res.resume();
  }

  /** Reads a file (OPEN, following the datanode redirect), optionally a byte range. */
  async open(path: string, range: { offset?: number; length?: number } = {}): Promise<Readable> {
    const params: Record<string, number> = {};
    if (range.offset !== undefined) params.offset = range.offset;
    if (range.length !== undefined) params.length = range.length;
    return this.#request('GET', () => this.#url(path, 'OPEN', params), `OPEN ${path}`, {
      redirect: true,
    });
  }

  /** The status of a file or folder, or undefined when it does not exist (GETFILESTATUS). */
  async getFileStatus(path: string): Promise<HdfsFileStatus | undefined> {
    try {
      const res = await this.#request('GET', () => this.#url(path, 'GETFILESTATUS'), `GETFILESTATUS ${path}`);
      return (await this.#json<{ FileStatus: HdfsFileStatus }>(res)).FileStatus;
    } catch (err) {
      if (err instanceof WebHdfsError && err.notFound) return undefined;
      throw err;
    }
  }

  /** The entries of a folder (LISTSTATUS); an empty list when the folder does not exist. */
  async listStatus(path: string): Promise<HdfsFileStatus[]> {
    try {
      const res = await this.#request('GET', () => this.#url(path, 'LISTSTATUS'), `LISTSTATUS ${path}`);
      return (await this.#json<{ FileStatuses: { FileStatus: HdfsFileStatus[] } }>(res)).FileStatuses
        .FileStatus;
    } catch (err) {
      if (err instanceof WebHdfsError && err.notFound) return [];
      throw err;
    }
  }

  /** Renames a file; false when HDFS refused (the destination exists, the source is missing). */
  async rename(from: string, to: string): Promise<boolean> {
    const res = await this.#request(
      'PUT',
      () => this.#url(from, 'RENAME', { destination: to }),
      `RENAME ${from}`,
    );
    return (await this.#json<{ boolean: boolean }>(res)).boolean;
  }

  /** Deletes a file or folder; false when it did not exist. */
  async delete(path: string, options: { recursive?: boolean } = {}): Promise<boolean> {
    const url = () => this.#url(path, 'DELETE', { recursive: options.recursive ?? false });
    const res = await this.#request('DELETE', url, `DELETE ${path}`);
    return (await this.#json<{ boolean: boolean }>(res)).boolean;
  }
}
