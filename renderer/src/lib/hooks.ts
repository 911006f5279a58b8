import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type ApiResult } from './api-client';

/** Loads a GET endpoint; reloads when the path changes or every `refreshMs`. */
export function useApi<T>(
  path: string | null,
  refreshMs?: number,
): { result: ApiResult<T> | undefined; reload: () => void } {
  const [result, setResult] = useState<ApiResult<T> | undefined>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let cancelled = false;
    void api.get<T>(path).then((r) => {
      if (!cancelled) setResult(r);
    });
    const timer = refreshMs ? setInterval(() => setTick((t) => t + 1), refreshMs) : undefined;
    return () => {
      cancelled = true;
      if (timer) clearInterval(timer);
    };
  }, [path, refreshMs, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { result, reload };
}

/** Current time, re-rendered every `everyMs`. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** Keeps the latest value in a ref (for event handlers registered once). */
export function useLatest<T>(value: T) {
  const ref = useRef(value);
  ref.current = value;
  return ref;
}
