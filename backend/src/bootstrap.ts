import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module.js';
import { AppConfig, loadConfig } from './config/app-config.js';
import { ConfiguredIoAdapter } from './common/socket-io.adapter.js';
import { refuseDeepJson } from './common/json-depth.js';
import { PinoNestLogger, createRootLogger, requestLogger } from './logging/logger.js';
import { applySecurityHeaders } from './security/security.js';

export interface CreateAppOptions {
  /** Environment to configure from; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Folder of the built viewer; defaults to dist/frontend when it exists. */
  viewerDir?: string | null;
  /** Override providers before the app starts, e.g. the scene clock in tests. */
  configure?: (module: ReturnType<typeof AppModule.forRoot>) => void;
}

/** Builds the whole app (HTTP, socket.io, viewer); `main.ts` and the tests both use it. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const env = options.env ?? process.env;
  // Validated here first so a bad value stops boot before anything is opened.
  const config = loadConfig(env);
  const module = AppModule.forRoot(env);
  options.configure?.(module);
  // Secrets scrubbed from free-text log messages wherever they appear.
  const secrets = [config.llm.apiKey, config.authorToken].filter((s): s is string => Boolean(s));
  const root = createRootLogger(config.logLevel, secrets);
  const app = await NestFactory.create<NestExpressApplication>(module, {
    logger: new PinoNestLogger(root),
    // Not forceCloseConnections: it destroys sockets with the last events still unsent.
    // SSE streams are completed at shutdown instead, and idle keep-alives close by themselves.
    abortOnError: false,
  });
  app.use(requestLogger(root));
  applySecurityHeaders(app);
  app.setGlobalPrefix('api', { exclude: ['metrics'] });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useWebSocketAdapter(new ConfiguredIoAdapter(app, app.get(AppConfig).corsOrigins));
  app.enableCors(config.corsOrigins ? { origin: config.corsOrigins } : { origin: false });
  app.set('trust proxy', 'loopback');
  // Nest reserves `verify` for rawBody mode, which this app does not use: it reaches body-parser as given.
  const jsonOptions = { limit: '256kb', verify: refuseDeepJson };
  app.useBodyParser('json', jsonOptions);
  // No enableShutdownHooks: main.ts handles SIGTERM itself, so the process exits 0 once
  // everything is flushed (Nest's hook re-raises the signal instead).

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('PixelTales')
      .setDescription('AI characters in live pixel-art scenes')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });

  const viewerDir = options.viewerDir === undefined ? resolve('dist/frontend') : options.viewerDir;
  if (viewerDir && existsSync(join(viewerDir, 'index.html'))) serveViewer(app, viewerDir);
  else if (viewerDir) new Logger('Viewer').warn(`No built viewer at ${viewerDir}: run npm run build:frontend`);
  return app;
}

/** The viewer is a single-page app: its routes (`/`, `/scene/:id`, `/author`) all get index.html. */
function serveViewer(app: NestExpressApplication, dir: string): void {
  // The build writes hidden source maps (vite.config.ts); they stay on disk, never on the wire.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.path.endsWith('.map'))
      return res.status(404).json({ statusCode: 404, message: 'Not Found', error: 'Not Found' });
    next();
  });
  app.useStaticAssets(dir, { index: false, maxAge: '1h', immutable: false });
  const index = join(dir, 'index.html');
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (
      req.method !== 'GET' ||
      req.path.startsWith('/api') ||
      req.path.startsWith('/socket.io') ||
      req.path === '/metrics'
    )
      return next();
    if (req.path === '/' || req.path.startsWith('/scene/') || req.path === '/author') {
      res.setHeader('Cache-Control', 'no-cache');
      return res.sendFile(index);
    }
    next();
  });
}
