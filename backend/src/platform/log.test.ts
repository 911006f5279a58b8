import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { configureLogging, createLogger } from './log.js';
import { redactUrl } from './redact.js';

function capture(): { lines: () => Record<string, unknown>[]; text: () => string } {
  let buf = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  configureLogging({ level: 'debug', destination: stream });
  return {
    text: () => buf,
    lines: () =>
      buf
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logging', () => {
  it('names the module on every line', () => {
    const out = capture();
    createLogger('video.camera', { camera: 'dock' }).info('connected');
    expect(out.lines()[0]).toMatchObject({ module: 'video.camera', camera: 'dock', msg: 'connected' });
  });

  it('never writes a camera password, token or secret', () => {
    const out = capture();
    const log = createLogger('test');
    log.info({ url: 'rtsp://admin:hunter2@10.0.0.5:554/stream1' }, 'opening rtsp://admin:hunter2@10.0.0.5/s');
    log.info({ token: 'abc123secrettoken', nested: { password: 'pw-xyz', apiKey: 'key-xyz' } }, 'ok');
    log.error({ err: new Error('failed rtsp://u:topsecret@h/x') }, 'boom');
    const text = out.text();
    for (const secret of ['hunter2', 'abc123secrettoken', 'pw-xyz', 'key-xyz'])
      expect(text).not.toContain(secret);
    expect(text).toContain('rtsp://admin:***@10.0.0.5:554/stream1');
  });

  it('masks credentials in URLs of any scheme', () => {
    expect(redactUrl('http://u:p@host/a and rtsps://x:y@cam:322/z')).toBe(
      'http://u:***@host/a and rtsps://x:***@cam:322/z',
    );
    expect(redactUrl('rtsp://cam/no-credentials')).toBe('rtsp://cam/no-credentials');
  });
});
