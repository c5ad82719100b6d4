import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { parseModelSpec } from './model-factory.js';

export type CallOutcome = 'ok' | 'recovered' | 'timeout' | 'error' | 'rejected' | 'aborted';

/** Consecutive failures after which the provider is reported down in /api/health. */
const DOWN_AFTER_FAILURES = 5;

/** What the LLM layer has been doing: outcomes, tokens, and whether the provider looks up. */
@Injectable()
export class LlmStatusService {
  readonly outcomes: Record<CallOutcome, number> = { ok: 0, recovered: 0, timeout: 0, error: 0, rejected: 0, aborted: 0 };
  promptTokens = 0;
  completionTokens = 0;
  private consecutiveFailures = 0;
  private lastError: string | null = null;

  constructor(private readonly config: AppConfig) {}

  record(outcome: CallOutcome, usage?: { promptTokens: number; completionTokens: number }, error?: string): void {
    this.outcomes[outcome] += 1;
    if (usage) {
      this.promptTokens += usage.promptTokens;
      this.completionTokens += usage.completionTokens;
    }
    if (outcome === 'ok' || outcome === 'recovered') {
      this.consecutiveFailures = 0;
    } else if (outcome !== 'aborted') {
      this.consecutiveFailures += 1;
      this.lastError = error ?? outcome;
    }
  }

  get provider(): string {
    return parseModelSpec(this.config.llm.model).provider;
  }

  isUp(): boolean {
    return this.consecutiveFailures < DOWN_AFTER_FAILURES;
  }

  summary() {
    return {
      model: this.config.llm.model,
      provider: this.provider,
      up: this.isUp(),
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      calls: { ...this.outcomes },
      tokens: { prompt: this.promptTokens, completion: this.completionTokens },
    };
  }
}
