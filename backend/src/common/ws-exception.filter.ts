import { ArgumentsHost, Catch, HttpException, Logger, type ValidationError } from '@nestjs/common';
import { errorText } from './errors.js';
import { BaseWsExceptionFilter, WsException } from '@nestjs/websockets';
import type { WsError } from '../contract/events.js';

/** Turns class-validator errors on a socket payload into a WsException with a clear message. */
export function wsValidationError(errors: ValidationError[]): WsException {
  const messages = errors.flatMap((e) => (e.constraints ? Object.values(e.constraints) : [`${e.property} is invalid`]));
  return new WsException({ code: 'BAD_REQUEST', message: messages.join('; ') || 'invalid payload' });
}

/**
 * Answers a failed socket event through its ack as `{ok: false, error: {code, message}}`
 * (or an `exception` event when the client sent no ack), and never drops the socket.
 */
@Catch()
export class WsAckExceptionFilter extends BaseWsExceptionFilter {
  private readonly logger = new Logger('WsExceptions');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const error = this.toError(exception);
    const args = host.getArgs();
    const ack = args.find((a, i) => i > 0 && typeof a === 'function') as ((r: unknown) => void) | undefined;
    if (ack) {
      ack({ ok: false, error });
      return;
    }
    host
      .switchToWs()
      .getClient<{ emit: (e: string, p: unknown) => void }>()
      .emit('exception', { status: 'error', ...error });
  }

  private toError(exception: unknown): WsError {
    if (exception instanceof WsException) {
      const e = exception.getError();
      if (typeof e === 'object' && e && 'code' in e && 'message' in e)
        return { code: String(e.code), message: String(e.message) };
      return { code: 'BAD_REQUEST', message: typeof e === 'string' ? e : 'bad request' };
    }
    if (exception instanceof HttpException) {
      return { code: exception.getStatus() === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', message: exception.message };
    }
    this.logger.error(`Unexpected socket error: ${errorText(exception)}`);
    return { code: 'INTERNAL', message: 'internal error' };
  }
}
