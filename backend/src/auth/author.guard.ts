import {
  applyDecorators,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { AUTHOR_ROUTE } from '../rate-limit/rate-limit.js';
import { AuthorTokenService } from './author-token.service.js';

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(request: Pick<Request, 'headers'>): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1] ?? null;
}

@Injectable()
export class AuthorGuard implements CanActivate {
  constructor(private readonly tokens: AuthorTokenService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (!this.tokens.verify(bearerToken(request)))
      throw new UnauthorizedException('An author token is required: Authorization: Bearer <AUTHOR_TOKEN>');
    return true;
  }
}

/**
 * Marks a route as an author route: bearer token required, documented in OpenAPI, and
 * counted on the author rate-limit tier instead of the read tier.
 */
export function AuthorOnly(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(AUTHOR_ROUTE, true),
    UseGuards(AuthorGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or wrong author token' }),
  );
}
