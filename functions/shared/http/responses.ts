import type { ApiResult } from './types';

const JSON_TYPE = 'application/json; charset=utf-8';

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode, headers: { 'Content-Type': JSON_TYPE, ...headers }, body: JSON.stringify(body) };
}

export const ok = (body: unknown): ApiResult => json(200, body);
/** 200 with a body already written as JSON text (served as it is, never parsed again). */
export const okJsonText = (text: string): ApiResult => ({
  statusCode: 200,
  headers: { 'Content-Type': JSON_TYPE },
  body: text,
});
export const created = (body: unknown): ApiResult => json(201, body);
export const noContent = (): ApiResult => ({ statusCode: 204, headers: {}, body: '' });
