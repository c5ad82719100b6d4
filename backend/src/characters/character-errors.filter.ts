import {
  BadGatewayException,
  Catch,
  GatewayTimeoutException,
  ServiceUnavailableException,
  type ArgumentsHost,
  type ExceptionFilter,
  type HttpException,
} from '@nestjs/common';
import type { Response } from 'express';
import { LineGenerationError } from '../agents/dialogue.service.js';
import { fieldError } from '../common/field-error.js';
import { CardError } from './character-card.js';
import { CharacterFileError } from './character-definition.js';

/** The domain errors of characters as HTTP errors: the one place that maps them. */
export function characterErrorToHttp(error: CharacterFileError | CardError | LineGenerationError): HttpException {
  if (error instanceof CharacterFileError)
    return fieldError(error.field, `${error.detail}${error.line !== null ? ` (line ${error.line} of the file)` : ''}`);
  if (error instanceof CardError) return fieldError(error.field, error.message.slice(error.field.length + 2));
  if (error.outcome === 'busy')
    return new ServiceUnavailableException(
      `Every LLM slot is busy with scene lines; try again shortly (${error.message})`,
    );
  if (error.outcome === 'timeout')
    return new GatewayTimeoutException(`The model gave no line in time: ${error.message}`);
  return new BadGatewayException(`The model gave no line: ${error.message}`);
}

/**
 * File and card problems become 400s naming the field (and the line, for files); a model
 * that gives no line becomes 504 (timeout) or 502. Instead of a try/catch per handler.
 */
@Catch(CharacterFileError, CardError, LineGenerationError)
export class CharacterErrorsFilter implements ExceptionFilter {
  catch(exception: CharacterFileError | CardError | LineGenerationError, host: ArgumentsHost): void {
    const http = characterErrorToHttp(exception);
    host.switchToHttp().getResponse<Response>().status(http.getStatus()).json(http.getResponse());
  }
}
