import { ResponseError } from '@backstage/errors';
import { errorMessage, hasStatus } from './responseErrors';

const responseError = (status: number, body: unknown) =>
  ResponseError.fromResponse(
    new Response(JSON.stringify(body), {
      status,
      statusText: 'Bad',
      headers: { 'content-type': 'application/json' },
    }),
  );

describe('errorMessage and hasStatus', () => {
  it('shows the server’s own message, else the error’s', async () => {
    const fromServer = await responseError(400, {
      error: { name: 'InputError', message: 'limit: must be at most 200' },
      response: { statusCode: 400 },
    });
    expect(errorMessage(fromServer)).toBe('limit: must be at most 200');
    expect(errorMessage(new Error('offline'))).toBe('offline');
    expect(errorMessage('plain')).toBe('plain');
  });

  it('matches the status of a failed call only', async () => {
    const notFound = await responseError(404, {
      error: { name: 'NotFoundError', message: 'no tenant' },
      response: { statusCode: 404 },
    });
    expect(hasStatus(notFound, 404)).toBe(true);
    expect(hasStatus(notFound, 403)).toBe(false);
    expect(hasStatus(new Error('404'), 404)).toBe(false);
  });
});
