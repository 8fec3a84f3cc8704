/**
 * A request header by name, whatever its case: API Gateway passes names as the client sent them
 * (HTTP/1.1 clients may send `content-type` or `Content-Type`).
 */
export function requestHeader(
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : (headers?.[key] ?? undefined);
}
