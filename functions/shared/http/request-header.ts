/**
 * A request header by name, whatever its case: API Gateway passes names as the client sent them
 * (HTTP/1.1 clients may send `content-type` or `Content-Type`). The name as asked and its lower
 * case (how HTTP/2 and Node send every name) are looked up directly; any other case is searched.
 */
export function requestHeader(
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  if (Object.hasOwn(headers, name)) return headers[name] ?? undefined;
  const wanted = name.toLowerCase();
  if (Object.hasOwn(headers, wanted)) return headers[wanted] ?? undefined;
  for (const key in headers)
    if (Object.hasOwn(headers, key) && key.toLowerCase() === wanted) return headers[key] ?? undefined;
  return undefined;
}
