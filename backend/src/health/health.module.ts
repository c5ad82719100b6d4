import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AgentsModule } from '../agents/agents.module.js';
import { HealthController } from './health.controller.js';
import { LlmHealthIndicator } from './llm.health.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), AgentsModule],
  controllers: [HealthController],
  providers: [LlmHealthIndicator],
})
export class HealthModule {}
