import type { FastifyError, FastifyInstance } from 'fastify';
import { FraudError, isFraudError } from '../../../core/errors/index.ts';

/** Every error leaves the API as `{ error: { code, message, details } }` with a catalogue code. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | FraudError, request, reply) => {
    let e: FraudError;
    if (isFraudError(err)) e = err;
    else if (
      err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      (err instanceof SyntaxError && err.statusCode === 400)
    ) {
      e = new FraudError('FRAUD_INPUT_NOT_JSON', `body is not JSON: ${err.message}`);
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      e = new FraudError('FRAUD_INPUT_TOO_LARGE', err.message);
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      e = new FraudError('FRAUD_REQUEST_INVALID', err.message);
    else if (err.validation) {
      e = new FraudError('FRAUD_REQUEST_INVALID', err.message, {
        details: err.validation.map((v) => ({
          field: v.instancePath.replace(/^\//, '') || '(root)',
          message: v.message ?? 'is invalid',
        })),
      });
    } else if (typeof err.statusCode === 'number' && err.statusCode < 500) {
      e = new FraudError(err.statusCode === 404 ? 'FRAUD_NOT_FOUND' : 'FRAUD_REQUEST_INVALID', err.message);
    } else {
      request.log.error({ err }, 'unhandled error');
      e = new FraudError('FRAUD_INTERNAL', 'internal error');
    }
    void reply.status(e.status).send({ error: e.toJSON() });
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new FraudError('FRAUD_NOT_FOUND', `no route ${request.method} ${request.url}`);
    void reply.status(404).send({ error: e.toJSON() });
  });
}
