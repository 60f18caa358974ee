import { CustomErrorBase } from '@backstage/errors';

/**
 * A request body in a media type the endpoint does not take (415). Backstage's
 * error handler answers with the `statusCode` of an error it does not know by
 * name.
 *
 * @public
 */
export class UnsupportedMediaTypeError extends CustomErrorBase {
  name = 'UnsupportedMediaTypeError' as const;
  statusCode = 415 as const;
}

/**
 * A request body larger than the endpoint takes (413).
 *
 * @public
 */
export class PayloadTooLargeError extends CustomErrorBase {
  name = 'PayloadTooLargeError' as const;
  statusCode = 413 as const;
}
