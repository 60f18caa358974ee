import { ResponseError } from '@backstage/errors';

/**
 * What to show for a failed call: the server's own message when it sent one
 * (e.g. "limit: Number must be less than or equal to 500"), else the error's.
 *
 * @public
 */
export function errorMessage(error: unknown): string {
  if (ResponseError.is(error)) {
    return error.cause.message || error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * True when a call failed with that HTTP status (403: not allowed; 404: not
 * there, or not the caller's to see).
 *
 * @public
 */
export function hasStatus(error: unknown, status: number): boolean {
  return ResponseError.is(error) && error.statusCode === status;
}
