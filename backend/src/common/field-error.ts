import { BadRequestException } from '@nestjs/common';

/**
 * A 400 in NestJS's `{statusCode, message, error}` shape that also names the field, so
 * an editor can show the problem beside it. The message starts with the field too, like
 * the ValidationPipe's own messages.
 */
export function fieldError(field: string, detail: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: [`${field}: ${detail}`], field });
}
