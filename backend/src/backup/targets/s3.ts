import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createLogger } from '../../platform/log.js';
import { checkKey, TargetNotFoundError, type BackupTarget, type TargetObject } from '../target.js';

export interface S3TargetOptions {
  /** Endpoint URL; empty for AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Objects larger than this go up in parts (S3 refuses a single PUT above 5 GiB). Default 64 MiB. */
  multipartThresholdBytes?: number;
  /** Size of each part (S3: at least 5 MiB except the last, at most 10,000 parts). Default 64 MiB. */
  partSizeBytes?: number;
  /**
   * Folder for the records of multipart uploads in progress, so an interrupted upload resumes where it stopped.
   * Absent: an interrupted upload starts again from the first part.
   */
  resumeDir?: string;
  /** Told of each part as it is uploaded, or skipped because an interrupted run already uploaded it. */
  onPart?: (part: { key: string; partNumber: number; parts: number; resumed: boolean }) => void;
}

/** S3's limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). */
export const S3_LIMITS = {
  maxSinglePutBytes: 5 * 1024 ** 3,
  minPartBytes: 5 * 1024 ** 2,
  maxParts: 10_000,
  maxObjectBytes: 5 * 1024 ** 4,
} as const;

/** Part size and count for an object: the configured part size, grown when the object would need over 10,000. */
export function multipartPlan(size: number, partSizeBytes: number): { partSize: number; parts: number } {
  if (size > S3_LIMITS.maxObjectBytes)
    throw new Error(`${size} bytes is more than S3 stores in one object (5 TiB)`);
  const partSize = Math.max(partSizeBytes, Math.ceil(size / S3_LIMITS.maxParts));
  return { partSize, parts: Math.max(1, Math.ceil(size / partSize)) };
}

/** What is kept between runs about a multipart upload in progress. */
interface ResumeRecord {
  bucket: string;
  key: string;
  size: number;
  partSize: number;
  uploadId: string;
  /** Parts already uploaded: number → ETag and MD5 of the bytes sent. */
  parts: Record<string, { etag: string; md5: string }>;
}

function isNotFound(err: unknown): boolean {
  if (err instanceof S3ServiceException) {
    return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404;
  }
  return false;
}

/**
 * S3-compatible object storage. Path-style addressing and checksums only when the service requires them, so MinIO,
 * Ceph's RADOS gateway and older gateways accept the requests as well as AWS does. Both ways of writing are atomic:
 * PutObject up to the multipart threshold; above it a multipart upload, whose object appears only when
 * CompleteMultipartUpload succeeds. An interrupted multipart upload is resumed by the next put of the same key and
 * size: parts whose bytes hash the same as the part uploaded before are not sent again. Uploads abandoned for good
 * are removed by the bucket's AbortIncompleteMultipartUpload lifecycle rule (see docs/cluster-stores.md).
 */
export class S3Target implements BackupTarget {
  readonly kind = 's3';
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #log = createLogger('backup.s3');

  constructor(private readonly options: S3TargetOptions) {
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
    const threshold = Math.min(
      this.options.multipartThresholdBytes ?? 64 * 1024 ** 2,
      S3_LIMITS.maxSinglePutBytes,
    );
    if (size <= threshold) {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: this.#key(key), Body: body, ContentLength: size }),
        { abortSignal: signal },
      );
      return;
    }
    await this.#putMultipart(key, body, size, signal);
  }

  #recordFile(key: string): string | undefined {
    if (!this.options.resumeDir) return undefined;
    const id = crypto
      .createHash('sha256')
      .update(`${this.#bucket}\n${this.#key(key)}`)
      .digest('hex');
    return path.join(this.options.resumeDir, `${id.slice(0, 32)}.json`);
  }

  async #readRecord(file: string | undefined): Promise<ResumeRecord | undefined> {
    if (!file) return undefined;
    try {
      return JSON.parse(await fs.promises.readFile(file, 'utf8')) as ResumeRecord;
    } catch {
      return undefined;
    }
  }

  async #saveRecord(file: string | undefined, record: ResumeRecord): Promise<void> {
    if (!file) return;
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(`${file}.tmp`, JSON.stringify(record));
    await fs.promises.rename(`${file}.tmp`, file);
  }

  async #putMultipart(key: string, body: Readable, size: number, signal?: AbortSignal): Promise<void> {
    const Bucket = this.#bucket;
    const Key = this.#key(key);
    const { partSize, parts } = multipartPlan(size, this.options.partSizeBytes ?? 64 * 1024 ** 2);
    const file = this.#recordFile(key);
    const previous = await this.#readRecord(file);
    let record: ResumeRecord;
    if (
      previous &&
      previous.bucket === Bucket &&
      previous.key === Key &&
      previous.size === size &&
      previous.partSize === partSize
    ) {
      record = previous;
      this.#log.info(
        { key, done: Object.keys(record.parts).length, parts },
        'resuming an interrupted upload',
      );
    } else {
      const created = await this.#client.send(
        new CreateMultipartUploadCommand({ Bucket, Key, ContentType: 'application/octet-stream' }),
        { abortSignal: signal },
      );
      if (!created.UploadId) throw new Error(`S3 started no multipart upload for "${key}"`);
      record = { bucket: Bucket, key: Key, size, partSize, uploadId: created.UploadId, parts: {} };
      await this.#saveRecord(file, record);
    }
    const abandon = async () => {
      await this.#client
        .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: record.uploadId }))
        .catch(() => undefined);
      if (file) await fs.promises.rm(file, { force: true });
    };
    let partNumber = 0;
    let sent = 0;
    const uploadPart = async (data: Buffer) => {
      partNumber++;
      sent += data.length;
      const md5 = crypto.createHash('md5').update(data).digest('base64');
      const done = record.parts[partNumber];
      if (done?.md5 === md5) {
        this.options.onPart?.({ key, partNumber, parts, resumed: true });
        return;
      }
      let res;
      try {
        res = await this.#client.send(
          new UploadPartCommand({
            Bucket,
            Key,
            UploadId: record.uploadId,
            PartNumber: partNumber,
            Body: data,
            ContentLength: data.length,
            ContentMD5: md5,
          }),
          { abortSignal: signal },
        );
      } catch (err) {
        if (err instanceof S3ServiceException && err.name === 'NoSuchUpload') {
          // The upload was aborted meanwhile (a lifecycle rule): the next run starts a new one.
          if (file) await fs.promises.rm(file, { force: true });
          throw new Error(`the interrupted upload of "${key}" expired on S3; the next run uploads it again`, {
            cause: err,
          });
        }
        throw err;
      }
      if (!res.ETag) throw new Error(`S3 answered part ${partNumber} of "${key}" without an ETag`);
      record.parts[partNumber] = { etag: res.ETag, md5 };
      await this.#saveRecord(file, record);
      this.options.onPart?.({ key, partNumber, parts, resumed: false });
    };
    // Parts are cut from the stream as it comes, one part in memory at a time.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of body) {
      signal?.throwIfAborted();
      let c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      while (pendingBytes + c.length >= partSize) {
        const take = partSize - pendingBytes;
        pending.push(c.subarray(0, take));
        c = c.subarray(take);
        await uploadPart(Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
      }
      if (c.length) {
        pending.push(c);
        pendingBytes += c.length;
      }
    }
    if (pendingBytes) await uploadPart(Buffer.concat(pending));
    if (sent !== size) {
      await abandon();
      throw new Error(`read ${sent} bytes of "${key}" for S3, expected ${size}`);
    }
    await this.#client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId: record.uploadId,
        MultipartUpload: {
          Parts: Array.from({ length: partNumber }, (_, i) => ({
            PartNumber: i + 1,
            ETag: record.parts[i + 1]?.etag,
          })),
        },
      }),
      { abortSignal: signal },
    );
    if (file) await fs.promises.rm(file, { force: true });
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
