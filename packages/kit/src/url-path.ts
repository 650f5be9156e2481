/** The path of a request target (`request.url`), without its query: what routes, htu and spans name. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
