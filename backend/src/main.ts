import { existsSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from './bootstrap.js';
import { errorText } from './common/errors.js';
import { AppConfig, ConfigError } from './config/app-config.js';
import { DatabaseOpenError } from './database/data-source.js';
import { ModelConfigError } from './agents/model-factory.js';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const app = await createApp();
  const config = app.get(AppConfig);
  handleSignals(app, config.shutdownTimeoutMs);
  await app.listen(config.port);
  const url = await app.getUrl();
  new Logger('PixelTales').log(
    `Serving on ${url.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost')} (model ${config.llm.model})`,
  );
}

/**
 * SIGTERM/SIGINT: `app.close()` stops every scene (ticks stop, model calls in flight are
 * dropped, open conversations end as `interrupted`, all of it committed), then closes the
 * sockets (clients reconnect to the next start) and the database, and the process exits 0.
 * If that takes longer than SHUTDOWN_TIMEOUT_MS the process exits 1 anyway: whatever was
 * committed is safe, and the next start ends cut conversations as after a crash.
 */
function handleSignals(app: NestExpressApplication, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: stopping scenes, flushing, closing connections`);
    const started = Date.now();
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${timeoutMs} ms: exiting anyway`);
      process.exit(1);
    }, timeoutMs).unref();
    app
      .close()
      .then(() => {
        logger.log(`Stopped cleanly in ${Date.now() - started} ms`);
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error(`Shutdown failed: ${(error as Error)?.message ?? error}`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  if (error instanceof DatabaseOpenError) {
    process.stderr.write(`PixelTales cannot start: ${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof ConfigError || error instanceof ModelConfigError) {
    // The one place the backend writes to stderr directly: the logger is not up yet. The
    // message names the variable and says what to do; a stack trace would only bury it.
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`PixelTales failed to start: ${errorText(error)}\n`);
  process.exit(1);
});
