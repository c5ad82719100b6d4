import { Injectable, Module, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SkipThrottle, ThrottlerGuard, ThrottlerModule, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Response } from 'express';
import { AppConfig } from '../config/app-config.js';

/** Throttler tiers, each counted per client IP across all the routes it covers. */
export const Tier = { Read: 'read', Author: 'author', Preview: 'preview' } as const;
const TIERS = Object.values(Tier);

export const AUTHOR_ROUTE = 'pixeltales:author-route';
export const PREVIEW_ROUTE = 'pixeltales:preview-route';

/** Window of the HTTP tiers, in milliseconds. */
const WINDOW_MS = 60_000;

/** Marks an author route that runs a model call (a preview): the preview tier applies too. */
export const PreviewLimited = (): MethodDecorator & ClassDecorator => SetMetadata(PREVIEW_ROUTE, true);

/** For routes that must answer however busy a client is: health checks, metrics scrapes. */
export const SkipAllThrottles = (): MethodDecorator & ClassDecorator =>
  SkipThrottle(Object.fromEntries(TIERS.map((t) => [t, true])));

function marked(context: ExecutionContext, key: string): boolean {
  return Boolean(Reflect.getMetadata(key, context.getHandler()) ?? Reflect.getMetadata(key, context.getClass()));
}

const notHttp = (context: ExecutionContext) => context.getType() !== 'http';

/**
 * The throttler guard with one key per tier and IP (not per route, as the stock guard
 * does: a client reading ten routes spends one budget) and a plain `Retry-After` header
 * (the stock guard names it `Retry-After-<tier>` for named throttlers).
 */
@Injectable()
export class TieredThrottlerGuard extends ThrottlerGuard {
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const res = context.switchToHttp().getResponse<Response>();
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(detail.timeToBlockExpire))));
    return super.throwThrottlingException(context, detail);
  }
}

/** Reads for everyone; author routes on their own (smaller) budget; previews smaller still. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [
          {
            name: Tier.Read,
            ttl: WINDOW_MS,
            limit: config.rateLimits.readsPerMinute,
            skipIf: (c) => notHttp(c) || marked(c, AUTHOR_ROUTE),
          },
          {
            name: Tier.Author,
            ttl: WINDOW_MS,
            limit: config.rateLimits.authorPerMinute,
            skipIf: (c) => notHttp(c) || !marked(c, AUTHOR_ROUTE),
          },
          {
            name: Tier.Preview,
            ttl: WINDOW_MS,
            limit: config.rateLimits.previewsPerMinute,
            skipIf: (c) => notHttp(c) || !marked(c, PREVIEW_ROUTE),
          },
        ],
        errorMessage: 'Too many requests: slow down and retry after the time in Retry-After',
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: TieredThrottlerGuard }],
})
export class RateLimitModule {}
