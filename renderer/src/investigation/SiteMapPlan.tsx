import { useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { CameraPlacement, PlanInfo } from '../../../backend/src/contract/investigation';
import { InvestigationApiRoutes } from '../../../backend/src/contract/investigation';
import { drawTrail, markerRadius, planFraction, viewWedge } from './trail-model';

export interface SiteMapPlanProps {
  plan: PlanInfo;
  placements: readonly CameraPlacement[];
  cameraName: (id: string) => string;
  /** A trail's sightings in time order: numbered markers and arrows. */
  trail?: ReadonlyArray<{ cameraId: string; confirmed: boolean }>;
  /** The camera of the sighting being played back (highlighted). */
  current?: string;
  /** Editing: a camera is dragged to a new place, or placed with a click (`placing`). */
  onMove?: (cameraId: string, x: number, y: number) => void;
  /** A camera chosen to be placed where the map is clicked next. */
  placing?: string;
  selected?: string;
  onSelect?: (cameraId: string) => void;
}

/**
 * The site plan with its cameras (and, when given, a trail): an SVG over the image in the plan's own pixels, so the
 * markers stay where they belong at any size.
 */
export function SiteMapPlan(props: SiteMapPlanProps) {
  const { plan, placements } = props;
  const { width: w, height: h } = plan;
  const svgRef = useRef<SVGSVGElement>(null);
  const [dragging, setDragging] = useState<{ cameraId: string; x: number; y: number } | undefined>();
  const r = markerRadius(w, h);
  const drawing = props.trail ? drawTrail(props.trail, placements, w, h) : undefined;
  const onTrail = new Set(drawing?.markers.map((m) => m.cameraId));
  const fraction = (e: { clientX: number; clientY: number }) =>
    planFraction(
      e.clientX,
      e.clientY,
      svgRef.current?.getBoundingClientRect() ?? { left: 0, top: 0, width: 1, height: 1 },
    );

  const down = (cameraId: string) => (e: ReactPointerEvent) => {
    if (!props.onMove) return;
    e.stopPropagation();
    (e.target as Element).setPointerCapture?.(e.pointerId);
    props.onSelect?.(cameraId);
    setDragging({ cameraId, ...fraction(e) });
  };
  const move = (e: ReactPointerEvent) => {
    if (dragging) setDragging({ ...dragging, ...fraction(e) });
  };
  const up = () => {
    if (dragging) props.onMove?.(dragging.cameraId, dragging.x, dragging.y);
    setDragging(undefined);
  };
  const click = (e: React.MouseEvent) => {
    if (props.placing && props.onMove) {
      const p = fraction(e);
      props.onMove(props.placing, p.x, p.y);
    }
  };
  const shown = placements.map((p) =>
    dragging?.cameraId === p.cameraId ? { ...p, x: dragging.x, y: dragging.y } : p,
  );

  return (
    <div className="sitemap-wrap">
      <div className={`sitemap${props.placing ? ' placing' : ''}`} style={{ aspectRatio: `${w} / ${h}` }}>
        <img
          className="sitemap-plan"
          src={`${InvestigationApiRoutes.sitemapPlan}?v=${plan.updatedAt}`}
          alt="Site plan"
          draggable={false}
        />
        <svg
          ref={svgRef}
          className="sitemap-overlay"
          viewBox={`0 0 ${w} ${h}`}
          role="img"
          aria-label={props.trail ? 'Trail on the site map' : 'Cameras on the site map'}
          onPointerMove={move}
          onPointerUp={up}
          onClick={click}
        >
          <defs>
            <marker
              id="trail-arrow"
              viewBox="0 0 10 10"
              refX="7"
              refY="5"
              markerWidth="4"
              markerHeight="4"
              orient="auto"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" className="trail-arrow-head" />
            </marker>
          </defs>
          {shown.map((p) => {
            const at = { x: p.x * w, y: p.y * h };
            const current = props.current === p.cameraId;
            return (
              <g
                key={p.cameraId}
                className={`sitemap-camera${current ? ' current' : ''}${props.selected === p.cameraId ? ' selected' : ''}${onTrail.has(p.cameraId) ? ' on-trail' : ''}`}
                data-camera={p.cameraId}
                onPointerDown={down(p.cameraId)}
              >
                {p.heading !== undefined ? (
                  <path className="sitemap-view" d={viewWedge(at, p.heading, r * 4)} />
                ) : null}
                <circle cx={at.x} cy={at.y} r={r * 0.55} />
                <text x={at.x} y={at.y + r * 1.6} fontSize={r * 0.9} textAnchor="middle">
                  {props.cameraName(p.cameraId)}
                </text>
              </g>
            );
          })}
          {drawing?.arrows.map((a) => (
            <line
              key={`arrow-${a.n}`}
              className="trail-arrow"
              data-to={a.n}
              x1={a.from.x}
              y1={a.from.y}
              x2={a.to.x}
              y2={a.to.y}
              strokeWidth={r * 0.22}
              markerEnd="url(#trail-arrow)"
            />
          ))}
          {drawing?.markers.map((m) => (
            <g
              key={`marker-${m.cameraId}`}
              className={`trail-marker${m.candidate ? ' candidate' : ''}${props.current === m.cameraId ? ' current' : ''}`}
              data-camera={m.cameraId}
              data-numbers={m.numbers.join(',')}
            >
              <circle cx={m.x} cy={m.y} r={r} strokeWidth={r * 0.15} />
              <text
                x={m.x}
                y={m.y}
                fontSize={m.numbers.length > 1 ? r * 0.75 : r}
                textAnchor="middle"
                dominantBaseline="central"
              >
                {m.numbers.join(',')}
              </text>
            </g>
          ))}
        </svg>
      </div>
      {drawing?.unplaced.length ? (
        <p className="muted small sitemap-unplaced">
          Not on the map: {drawing.unplaced.map(props.cameraName).join(', ')}
        </p>
      ) : null}
    </div>
  );
}
