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
    const data = { model: s.model, breaker: s.breaker.state, consecutiveFailures: s.consecutiveFailures };
    if (s.up) return session.up(data);
    const serving = !this.status.resting();
    const meanwhile =
      s.fallbackModel && serving
        ? `lines come from the fallback model ${s.fallbackModel}`
        : 'scenes keep running and characters idle instead of talking';
    const probe =
      s.breaker.retryInMs > 0 ? `next probe in ${Math.ceil(s.breaker.retryInMs / 1000)} s` : 'a probe call is due';
    const details = {
      ...data,
      fallbackModel: s.fallbackModel,
      message: `The LLM provider ${s.provider} (model ${s.model}) is down after ${s.consecutiveFailures} failed calls in a row; ${meanwhile}; ${probe}`,
    };
    // Lines still come (from the fallback): impaired, not unready.
    return serving ? session.degraded(details) : session.down(details);
  }
}
