import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { Problem } from '#contracts/api';

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Every error response is an RFC 9457 problem with a stable `type` a client can switch on. */
export function problem(status: number, type: string, title: string, detail: string, errors?: Problem['errors']): APIGatewayProxyResultV2 {
  const body: Problem = { type: `https://duckstore.dev/problems/${type}`, title, status, detail, ...(errors ? { errors } : {}) };
  return { statusCode: status, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify(body) };
}

export const zodErrors = (error: z.ZodError): NonNullable<Problem['errors']> =>
  error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
