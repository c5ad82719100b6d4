import { existsSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap.js';
import { AppConfig, ConfigError } from './config/app-config.js';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const app = await createApp();
  const config = app.get(AppConfig);
  await app.listen(config.port);
  const url = await app.getUrl();
  new Logger('PixelTales').log(`Serving on ${url.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost')} (model ${config.llm.model})`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    // The one place the backend writes to stderr directly: the logger is not up yet.
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`PixelTales failed to start: ${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
