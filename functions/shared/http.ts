import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import type { Problem } from '#contracts/api';

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/**
 * RFC 9457 problem responses whose `type` is `<typeBase><type>`: a stable
 * identifier a client can switch on, unlike the human-readable title.
 */
export const problemResponder =
  (typeBase: string) =>
  (status: number, type: string, title: string, detail: string, errors?: Problem['errors']): APIGatewayProxyResultV2 => {
    const body: Problem = { type: `${typeBase}${type}`, title, status, detail, ...(errors ? { errors } : {}) };
    return { statusCode: status, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify(body) };
  };

export const zodErrors = (error: z.ZodError): NonNullable<Problem['errors']> =>
  error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));

/** A request header by name: HTTP APIs and function URLs lower-case names, other callers (a local server, a test) may not. */
export const header = (event: { headers?: Record<string, string | undefined> }, name: string): string | undefined =>
  Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
