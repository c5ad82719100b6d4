import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { LlmStatusService } from '../agents/llm-status.service.js';

@Injectable()
export class LlmHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly status: LlmStatusService,
  ) {}

  check(key = 'llm') {
    const session = this.health.check(key);
    const s = this.status.summary();
    const data = { model: s.model, consecutiveFailures: s.consecutiveFailures };
    if (s.up) return session.up(data);
    return session.down({ ...data, message: `The LLM provider ${s.provider} is failing (${s.consecutiveFailures} calls in a row); scenes keep running and characters wait` });
  }
}
