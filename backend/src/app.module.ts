import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from './agents/agents.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CharactersModule } from './characters/characters.module.js';
import { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/config.module.js';
import { ConversationsModule } from './conversations/conversations.module.js';
import { connectRetries, dataSourceOptions, openDataSource } from './database/data-source.js';
import { HealthModule } from './health/health.module.js';
import { MetricsCoreModule } from './metrics/metrics-core.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.js';
import { ScenesModule } from './scenes/scenes.module.js';

@Module({})
export class AppModule {
  static forRoot(env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(env),
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config.database),
            ...connectRetries(config.database),
          }),
          dataSourceFactory: (options) => openDataSource(options!),
        }),
        MetricsCoreModule,
        RateLimitModule,
        AuthModule,
        AgentsModule,
        CharactersModule,
        ConversationsModule,
        ScenesModule,
        HealthModule,
        MetricsModule,
      ],
    };
  }
}
