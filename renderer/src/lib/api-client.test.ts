import { describe, expect, it } from 'vitest';
import { MissingRouteParamError, path, queryString, Routes } from './api-client';

describe('paths from the route tables', () => {
  it('fills every placeholder, URL-encoded, so an id with spaces or slashes stays one path segment', () => {
    expect(path(Routes.video.camera, { id: 'front door/2' })).toBe('/api/cameras/front%20door%2F2');
    expect(path(Routes.incidents.snooze, { kind: 'rule', target: 'a&b' })).toBe('/api/snoozes/rule/a%26b');
    expect(path(Routes.video.clip, { file: 'gate.mp4' }, { from: 1, to: 2, seekable: 1 })).toBe(
      '/api/clips/gate.mp4?from=1&to=2&seekable=1',
    );
    expect(path(Routes.video.cameras)).toBe('/api/cameras');
  });

  it('writes queries the backend reads: lists comma-separated, empty values left out, values encoded', () => {
    expect(path(Routes.incidents.incidents, {}, { state: ['new', 'acknowledged'], limit: 200 })).toBe(
      '/api/incidents?state=new,acknowledged&limit=200',
    );
    expect(queryString({ label: '', cursor: undefined, q: 'a b&c', none: null })).toBe('?q=a%20b%26c');
    expect(queryString({})).toBe('');
    // A query string built elsewhere (the event filters) is used as it is.
    expect(path(Routes.events.facets, {}, 'from=1&to=2')).toBe('/api/events/facets?from=1&to=2');
  });

  it('refuses a route whose placeholder got no value instead of calling a wrong URL', () => {
    expect(() => path(Routes.video.camera, { id: '' })).toThrow(MissingRouteParamError);
    // @ts-expect-error: the route's placeholders are checked at compile time too.
    expect(() => path(Routes.video.camera, {})).toThrow(/needs a value for :id/);
  });

  it('leaves no route of the contract with a placeholder the client cannot fill', () => {
    for (const table of Object.values(Routes))
      for (const route of Object.values(table) as string[]) {
        const params = Object.fromEntries([...route.matchAll(/:([^/]+)/g)].map(([, name]) => [name, 'v']));
        expect(path(route as '/:x', params as { x: string })).not.toMatch(/:[a-z]/i);
      }
  });
});
