import { useState } from 'react';
import type { Trail, TrailSummary } from '../../../backend/src/contract/investigation';
import { InvestigationApiRoutes } from '../../../backend/src/contract/investigation';
import { useApi } from '../lib/hooks';
import { api } from '../lib/api-client';
import { useCan } from '../people';
import { investigationViewId, trailHash } from './InvestigationView';
import { trailBody, trailPath } from './TrailEditor';

/** Adds an event to a saved trail as a confirmed sighting; the refusal in words, or undefined when done. */
export async function addToTrail(trailId: string, eventId: string): Promise<string | undefined> {
  const got = await api.get<Trail>(trailPath(trailId));
  if (!got.ok) return got.message;
  if (got.data.sightings.some((s) => s.eventId === eventId)) return undefined;
  const r = await api.put<Trail>(
    trailPath(trailId),
    trailBody(got.data, [...got.data.sightings, { eventId, confirmed: true }]),
  );
  return r.ok ? undefined : r.message;
}

/** On an event: start a trail from it, or add it to a saved trail (for those who search the archive). */
export function TrailActions({ eventId }: { eventId: string }) {
  const can = useCan();
  const allowed = can('events.search');
  const trails = useApi<TrailSummary[]>(allowed ? InvestigationApiRoutes.trails : null);
  const [chosen, setChosen] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string; trailId?: string } | undefined>();
  if (!allowed) return null;
  const list = trails.result?.ok ? trails.result.data : [];
  const target = chosen || list[0]?.id || '';
  const add = async () => {
    const refused = await addToTrail(target, eventId);
    const name = list.find((t) => t.id === target)?.name ?? 'the trail';
    setMessage(
      refused ? { ok: false, text: refused } : { ok: true, text: `Added to “${name}”.`, trailId: target },
    );
  };
  return (
    <div className="trail-actions row" aria-label="Trail">
      <a className="button" href={`#/${investigationViewId}?start=${encodeURIComponent(eventId)}`}>
        Start a trail
      </a>
      {list.length ? (
        <>
          <select aria-label="Trail to add to" value={target} onChange={(e) => setChosen(e.target.value)}>
            {list.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.caseNumber})
              </option>
            ))}
          </select>
          <button onClick={() => void add()}>Add to trail</button>
        </>
      ) : null}
      {message ? (
        <span
          className={message.ok ? 'ok-text small' : 'error-text small'}
          role={message.ok ? 'status' : 'alert'}
        >
          {message.text} {message.trailId ? <a href={trailHash(message.trailId)}>Open the trail</a> : null}
        </span>
      ) : null}
    </div>
  );
}
