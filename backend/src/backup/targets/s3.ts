import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { checkKey, TargetNotFoundError, type BackupTarget, type TargetObject } from '../target.js';

export interface S3TargetOptions {
  /** Endpoint URL; empty for AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
}

function isNotFound(err: unknown): boolean {
  if (err instanceof S3ServiceException) {
    return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404;
  }
  return false;
}

/**
 * S3-compatible object storage. Path-style addressing and checksums only when the service requires them, so MinIO,
 * Ceph's RADOS gateway and older gateways accept the requests as well as AWS does. PutObject is atomic.
 */
export class S3Target implements BackupTarget {
  readonly kind = 's3';
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: S3TargetOptions) {
    this.#bucket = options.bucket;
    this.#prefix = options.prefix && !options.prefix.endsWith('/') ? `${options.prefix}/` : options.prefix;
    this.location = `s3://${options.bucket}/${this.#prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    this.#client = new S3Client({
      region: options.region,
      endpoint: options.endpoint || undefined,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      maxAttempts: 3,
    });
  }

  #key(key: string): string {
    return this.#prefix + checkKey(key);
  }

  async put(key: string, body: Readable, size: number, signal?: AbortSignal): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({ Bucket: this.#bucket, Key: this.#key(key), Body: body, ContentLength: size }),
      { abortSignal: signal },
    );
  }

  async head(key: string): Promise<TargetObject | undefined> {
    try {
      const r = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }));
      return { key, size: r.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<TargetObject> {
    let token: string | undefined;
    do {
      const r = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: this.#prefix + prefix,
          ContinuationToken: token,
        }),
      );
      for (const o of r.Contents ?? []) {
        if (o.Key) yield { key: o.Key.slice(this.#prefix.length), size: o.Size ?? 0 };
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async get(key: string, signal?: AbortSignal): Promise<Readable> {
    try {
      const r = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }), {
        abortSignal: signal,
      });
      if (!r.Body) throw new TargetNotFoundError(key);
      return r.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new TargetNotFoundError(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }));
  }

  dispose(): void {
    this.#client.destroy();
  }
}
