import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Variables whose values never appear in an error message or a log line. */
const SECRET_VARIABLES = new Set(['LLM_API_KEY', 'AUTHOR_TOKEN', 'DATABASE_URL']);

/** The environment as the contract names it; validated once at boot. */
class EnvironmentVariables {
  @IsInt({ message: 'PORT must be an integer from 0 to 65535' })
  @Min(0, { message: 'PORT must be an integer from 0 to 65535' })
  @Max(65535, { message: 'PORT must be an integer from 0 to 65535' })
  PORT: number = 3000;

  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, { message: 'DATABASE_URL must be sqlite:PATH or postgres://…' })
  DATABASE_URL: string = 'sqlite:data/pixeltales.sqlite';

  @Matches(/^[a-z][a-z0-9_-]*:[^\s]+$/i, {
    message: 'LLM_MODEL must be provider:model, e.g. offline:storyteller or openai:gpt-4o-mini',
  })
  LLM_MODEL: string = 'offline:storyteller';

  @IsOptional()
  @Matches(/^[a-z][a-z0-9_-]*:[^\s]+$/i, {
    message: 'LLM_FALLBACK_MODEL must be provider:model, e.g. offline:storyteller',
  })
  LLM_FALLBACK_MODEL?: string;

  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'LLM_BASE_URL must be an http(s) URL' },
  )
  LLM_BASE_URL?: string;

  @IsOptional()
  @IsString()
  LLM_API_KEY?: string;

  @IsInt({ message: 'LLM_TIMEOUT_MS must be an integer of milliseconds from 100 to 600000' })
  @Min(100, { message: 'LLM_TIMEOUT_MS must be an integer of milliseconds from 100 to 600000' })
  @Max(600_000, { message: 'LLM_TIMEOUT_MS must be an integer of milliseconds from 100 to 600000' })
  LLM_TIMEOUT_MS: number = 30_000;

  @IsInt({ message: 'LLM_MAX_CONCURRENCY must be an integer from 1 to 256' })
  @Min(1, { message: 'LLM_MAX_CONCURRENCY must be an integer from 1 to 256' })
  @Max(256, { message: 'LLM_MAX_CONCURRENCY must be an integer from 1 to 256' })
  LLM_MAX_CONCURRENCY: number = 4;

  @IsInt({ message: 'LLM_MAX_RETRIES must be an integer from 0 to 10' })
  @Min(0, { message: 'LLM_MAX_RETRIES must be an integer from 0 to 10' })
  @Max(10, { message: 'LLM_MAX_RETRIES must be an integer from 0 to 10' })
  LLM_MAX_RETRIES: number = 2;

  @IsInt({ message: 'LLM_BREAKER_FAILURES must be an integer from 1 to 1000' })
  @Min(1, { message: 'LLM_BREAKER_FAILURES must be an integer from 1 to 1000' })
  @Max(1000, { message: 'LLM_BREAKER_FAILURES must be an integer from 1 to 1000' })
  LLM_BREAKER_FAILURES: number = 5;

  @IsInt({ message: 'LLM_BREAKER_COOLDOWN_MS must be an integer of milliseconds from 100 to 3600000' })
  @Min(100, { message: 'LLM_BREAKER_COOLDOWN_MS must be an integer of milliseconds from 100 to 3600000' })
  @Max(3_600_000, { message: 'LLM_BREAKER_COOLDOWN_MS must be an integer of milliseconds from 100 to 3600000' })
  LLM_BREAKER_COOLDOWN_MS: number = 30_000;

  @IsInt({ message: 'LLM_BUDGET_TOKENS_PER_HOUR must be an integer of tokens from 0 (no budget) to 1000000000' })
  @Min(0, { message: 'LLM_BUDGET_TOKENS_PER_HOUR must be an integer of tokens from 0 (no budget) to 1000000000' })
  @Max(1_000_000_000, {
    message: 'LLM_BUDGET_TOKENS_PER_HOUR must be an integer of tokens from 0 (no budget) to 1000000000',
  })
  LLM_BUDGET_TOKENS_PER_HOUR: number = 0;

  @IsIn(['true', 'false'], { message: 'LLM_STREAMING must be true or false' })
  LLM_STREAMING: 'true' | 'false' = 'false';

  @IsInt({ message: 'UNWATCHED_SLOWDOWN must be an integer factor from 1 (off) to 100' })
  @Min(1, { message: 'UNWATCHED_SLOWDOWN must be an integer factor from 1 (off) to 100' })
  @Max(100, { message: 'UNWATCHED_SLOWDOWN must be an integer factor from 1 (off) to 100' })
  UNWATCHED_SLOWDOWN: number = 4;

  @IsInt({ message: 'TICK_MS must be an integer of milliseconds from 10 to 10000' })
  @Min(10, { message: 'TICK_MS must be an integer of milliseconds from 10 to 10000' })
  @Max(10_000, { message: 'TICK_MS must be an integer of milliseconds from 10 to 10000' })
  TICK_MS: number = 500;

  @IsString()
  @MinLength(1)
  PROMPTS_DIR: string = 'prompts';

  @IsString()
  @MinLength(1)
  DATA_DIR: string = 'data';

  @IsOptional()
  @IsString()
  SCENES_DIR?: string;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'AUTHOR_TOKEN must be at least 16 characters' })
  @MaxLength(512, { message: 'AUTHOR_TOKEN must be at most 512 characters' })
  AUTHOR_TOKEN?: string;

  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  @IsInt({ message: 'READING_CPS must be an integer of characters per second from 1 to 10000' })
  @Min(1, { message: 'READING_CPS must be an integer of characters per second from 1 to 10000' })
  @Max(10_000, { message: 'READING_CPS must be an integer of characters per second from 1 to 10000' })
  READING_CPS: number = 15;

  @IsInt({ message: 'MIN_READING_MS must be an integer of milliseconds from 0 to 60000' })
  @Min(0, { message: 'MIN_READING_MS must be an integer of milliseconds from 0 to 60000' })
  @Max(60_000, { message: 'MIN_READING_MS must be an integer of milliseconds from 0 to 60000' })
  MIN_READING_MS: number = 2_000;

  @IsInt({ message: 'RATE_LIMIT_READS_PER_MINUTE must be an integer of requests per minute from 1 to 1000000' })
  @Min(1, { message: 'RATE_LIMIT_READS_PER_MINUTE must be an integer of requests per minute from 1 to 1000000' })
  @Max(1_000_000, {
    message: 'RATE_LIMIT_READS_PER_MINUTE must be an integer of requests per minute from 1 to 1000000',
  })
  RATE_LIMIT_READS_PER_MINUTE: number = 600;

  @IsInt({ message: 'RATE_LIMIT_AUTHOR_PER_MINUTE must be an integer of requests per minute from 1 to 1000000' })
  @Min(1, { message: 'RATE_LIMIT_AUTHOR_PER_MINUTE must be an integer of requests per minute from 1 to 1000000' })
  @Max(1_000_000, {
    message: 'RATE_LIMIT_AUTHOR_PER_MINUTE must be an integer of requests per minute from 1 to 1000000',
  })
  RATE_LIMIT_AUTHOR_PER_MINUTE: number = 60;

  @IsInt({ message: 'RATE_LIMIT_PREVIEWS_PER_MINUTE must be an integer of requests per minute from 1 to 1000000' })
  @Min(1, { message: 'RATE_LIMIT_PREVIEWS_PER_MINUTE must be an integer of requests per minute from 1 to 1000000' })
  @Max(1_000_000, {
    message: 'RATE_LIMIT_PREVIEWS_PER_MINUTE must be an integer of requests per minute from 1 to 1000000',
  })
  RATE_LIMIT_PREVIEWS_PER_MINUTE: number = 10;

  @IsInt({ message: 'RATE_LIMIT_SOCKET_EVENTS_PER_10S must be an integer of events per 10 seconds from 1 to 1000000' })
  @Min(1, { message: 'RATE_LIMIT_SOCKET_EVENTS_PER_10S must be an integer of events per 10 seconds from 1 to 1000000' })
  @Max(1_000_000, {
    message: 'RATE_LIMIT_SOCKET_EVENTS_PER_10S must be an integer of events per 10 seconds from 1 to 1000000',
  })
  RATE_LIMIT_SOCKET_EVENTS_PER_10S: number = 40;

  @IsInt({ message: 'SHUTDOWN_TIMEOUT_MS must be an integer of milliseconds from 100 to 600000' })
  @Min(100, { message: 'SHUTDOWN_TIMEOUT_MS must be an integer of milliseconds from 100 to 600000' })
  @Max(600_000, { message: 'SHUTDOWN_TIMEOUT_MS must be an integer of milliseconds from 100 to 600000' })
  SHUTDOWN_TIMEOUT_MS: number = 10_000;
}

export type DatabaseConfig = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string };

/** The validated configuration, injected wherever a setting is needed (a DI token too). */
export abstract class AppConfig {
  abstract readonly port: number;
  abstract readonly database: DatabaseConfig;
  abstract readonly llm: {
    readonly model: string;
    readonly fallbackModel: string | null;
    readonly baseUrl: string | null;
    readonly apiKey: string | null;
    readonly timeoutMs: number;
    readonly maxConcurrency: number;
    /** Retries of a call that failed with a retryable error (429, 5xx, connection). */
    readonly maxRetries: number;
    /** Failed calls in a row after which a model's circuit opens. */
    readonly breakerFailures: number;
    /** How long an open circuit waits before letting a probe call through. */
    readonly breakerCooldownMs: number;
    /** Tokens a scene may spend per hour; 0: no budget. */
    readonly budgetTokensPerHour: number;
    /** Ask providers for streamed answers (collected before use). */
    readonly streaming: boolean;
  };
  /** Factor by which scenes nobody watches slow their conversations down; 1: off. */
  abstract readonly unwatchedSlowdown: number;
  abstract readonly tickMs: number;
  abstract readonly promptsDir: string;
  abstract readonly dataDir: string;
  abstract readonly scenesDir: string;
  abstract readonly authorToken: string | null;
  /** null: same origin only. */
  abstract readonly corsOrigins: string[] | null;
  abstract readonly logLevel: LogLevel;
  abstract readonly readingCharsPerSecond: number;
  abstract readonly minReadingMs: number;
  /** Requests per minute and client IP, by throttler tier; socket events per 10 s per connection. */
  abstract readonly rateLimits: {
    readonly readsPerMinute: number;
    readonly authorPerMinute: number;
    readonly previewsPerMinute: number;
    readonly socketEventsPer10s: number;
  };
  /** Longest a SIGTERM/SIGINT shutdown may take before the process exits anyway. */
  abstract readonly shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; throws a ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  // An empty value means unset, as in most .env files.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const vars = plainToInstance(EnvironmentVariables, present, {
    enableImplicitConversion: true,
    excludeExtraneousValues: false,
  });
  const errors = validateSync(vars, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => {
        const got = SECRET_VARIABLES.has(e.property) ? '' : ` (got ${JSON.stringify(present[e.property])})`;
        return { variable: e.property, message: `${Object.values(e.constraints ?? {})[0] ?? 'invalid'}${got}` };
      }),
    );
  }
  const url = vars.DATABASE_URL;
  const database: DatabaseConfig = url.startsWith('sqlite:')
    ? { type: 'sqlite', path: url.slice('sqlite:'.length) }
    : { type: 'postgres', url };
  const origins =
    vars.CORS_ORIGINS?.split(',')
      .map((o) => o.trim())
      .filter(Boolean) ?? [];
  return {
    port: vars.PORT,
    database,
    llm: {
      model: vars.LLM_MODEL,
      fallbackModel: vars.LLM_FALLBACK_MODEL ?? null,
      baseUrl: vars.LLM_BASE_URL ?? null,
      apiKey: vars.LLM_API_KEY ?? null,
      timeoutMs: vars.LLM_TIMEOUT_MS,
      maxConcurrency: vars.LLM_MAX_CONCURRENCY,
      maxRetries: vars.LLM_MAX_RETRIES,
      breakerFailures: vars.LLM_BREAKER_FAILURES,
      breakerCooldownMs: vars.LLM_BREAKER_COOLDOWN_MS,
      budgetTokensPerHour: vars.LLM_BUDGET_TOKENS_PER_HOUR,
      streaming: vars.LLM_STREAMING === 'true',
    },
    unwatchedSlowdown: vars.UNWATCHED_SLOWDOWN,
    tickMs: vars.TICK_MS,
    promptsDir: vars.PROMPTS_DIR,
    dataDir: vars.DATA_DIR,
    scenesDir: vars.SCENES_DIR ?? `${vars.DATA_DIR}/scenes`,
    authorToken: vars.AUTHOR_TOKEN ?? null,
    corsOrigins: origins.length > 0 ? origins : null,
    logLevel: vars.LOG_LEVEL,
    readingCharsPerSecond: vars.READING_CPS,
    minReadingMs: vars.MIN_READING_MS,
    rateLimits: {
      readsPerMinute: vars.RATE_LIMIT_READS_PER_MINUTE,
      authorPerMinute: vars.RATE_LIMIT_AUTHOR_PER_MINUTE,
      previewsPerMinute: vars.RATE_LIMIT_PREVIEWS_PER_MINUTE,
      socketEventsPer10s: vars.RATE_LIMIT_SOCKET_EVENTS_PER_10S,
    },
    shutdownTimeoutMs: vars.SHUTDOWN_TIMEOUT_MS,
  };
}
