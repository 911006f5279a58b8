import type { ApiResult } from '../lib/api-client';

/** The outcome of an action, in words: announced politely when it worked, as an alert when it did not. */
export type Notice = { kind: 'ok' | 'error'; text: string } | undefined;

/** A notice from an API answer: `ok` when it worked, else the backend's reason. */
export function noticeOf(r: ApiResult<unknown>, ok: string): Notice {
  return r.ok ? { kind: 'ok', text: ok } : { kind: 'error', text: r.message };
}

export function NoticeLine({ notice }: { notice: Notice }) {
  if (!notice) return null;
  return notice.kind === 'ok' ? (
    <div className="ok-text" role="status">
      {notice.text}
    </div>
  ) : (
    <div className="field-error" role="alert">
      {notice.text}
    </div>
  );
}
