/** Hash routes: #/live, #/events, #/dashboards, #/cameras, #/system, #/wall?layout=…&name=… (second wall window). */
export interface Route {
  view: string;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const view = (q < 0 ? h : h.slice(0, q)) || 'live';
  return { view: view.toLowerCase(), params: new URLSearchParams(q < 0 ? '' : h.slice(q + 1)) };
}
