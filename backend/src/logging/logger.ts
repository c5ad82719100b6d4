import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { pino, type Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';
import type { LogLevel } from '../config/app-config.js';
import { currentLogFields, withLogContext } from './log-context.js';

/** Object paths pino blanks out wherever they appear in a log record. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'authorization',
  'apiKey',
  'token',
  '*.authorization',
  '*.apiKey',
  '*.token',
  'LLM_API_KEY',
  'AUTHOR_TOKEN',
];

/** A request id a client may pass in `x-request-id`; anything else gets a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Removes bearer tokens, `sk-…` keys and the configured secrets from free text. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text.replace(/(Bearer\s+)\S+/gi, '$1[redacted]').replace(/\bsk-[A-Za-z0-9_-]{8,}/g, '[redacted]');
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}

/** The process's one pino logger: JSON lines on stdout, request/scene ids mixed in. */
export function createRootLogger(level: LogLevel, secrets: readonly string[]): Pino {
  return pino({
    level,
    base: { service: 'pixeltales' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Request/scene ids from the async context, unless the (child) logger already binds them.
    mixin: (_merge, _level, logger) => {
      const bound = logger.bindings();
      return Object.fromEntries(Object.entries(currentLogFields()).filter(([key]) => !(key in bound)));
    },
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      // Free-text messages can carry what the structured redaction cannot see.
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? redactSecrets(a, secrets) : a));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  });
}

/** NestJS's LoggerService on pino: `Logger` calls anywhere in the app become JSON lines. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    params: unknown[],
  ): void {
    // Nest passes the context (the class name) last, and for errors a stack before it.
    const rest = [...params];
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const stack = level === 'error' && typeof rest[0] === 'string' ? (rest.shift() as string) : undefined;
    const fields: Record<string, unknown> = { context };
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      fields.err = message;
      this.root[level](fields, message.message);
    } else if (message && typeof message === 'object') {
      this.root[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.root[level](fields, String(message));
    }
  }
}

/**
 * Express middleware: one JSON line per finished request with its id, and the id bound to
 * every log line written while the request is handled. Health and metrics scrapes stay quiet.
 */
export function requestLogger(root: Pino): (req: Request, res: Response, next: NextFunction) => void {
  const http = pinoHttp({
    logger: root,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    autoLogging: { ignore: (req) => req.url === '/metrics' || (req.url ?? '').startsWith('/api/health') },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    // Only what an operator needs: no headers at all, so no token can leak through them.
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    quietReqLogger: true,
  });
  return (req, res, next) => http(req, res, () => withLogContext({ reqId: String(req.id as string | number) }, next));
}
