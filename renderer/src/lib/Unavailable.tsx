import type { ApiResult } from './api-client';

/** What a panel shows when its data could not be loaded: "not available" for a missing endpoint, else the reason. */
export function Unavailable({ result, what }: { result: ApiResult<unknown> | undefined; what: string }) {
  if (!result) return <div className="muted">Loading {what}…</div>;
  if (result.ok) return null;
  return (
    <div className="unavailable" role="note">
      {result.notAvailable ? `${what}: not available on this backend.` : `${what}: ${result.message}`}
    </div>
  );
}
