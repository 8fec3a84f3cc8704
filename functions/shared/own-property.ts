/**
 * Sets an own, enumerable data property, as `JSON.parse` does. Plain assignment does that for
 * every name but `__proto__`, which would set the object's prototype instead: a name that comes
 * from outside (a header, a query parameter, a column label) must land as data.
 */
export function setOwn<T>(target: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__')
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}
