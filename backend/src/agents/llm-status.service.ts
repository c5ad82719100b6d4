import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { parseModelSpec } from './model-factory.js';
import type { FaultKind } from './retry.js';

/** Final outcome of one line request (after retries and fallback). */
export type CallOutcome = 'ok' | 'recovered' | 'timeout' | 'busy' | 'error' | 'rejected' | 'aborted' | 'unavailable';

/** Weight of the newest answer time in a model's running average. */
const LATENCY_EWMA_WEIGHT = 0.2;

/**
 * What the LLM layer has been doing: outcomes of line requests, every fault of every
 * attempt, retries, fallbacks, tokens, and a circuit breaker per model. Never a key.
 */
@Injectable()
export class LlmStatusService {
  readonly outcomes: Record<CallOutcome, number> = {
    ok: 0,
    recovered: 0,
    timeout: 0,
    busy: 0,
    error: 0,
    rejected: 0,
    aborted: 0,
    unavailable: 0,
  };
  readonly faults: Record<FaultKind, number> = {
    timeout: 0,
    rateLimited: 0,
    serverError: 0,
    connection: 0,
    auth: 0,
    badRequest: 0,
    badResponse: 0,
    other: 0,
  };
  retries = 0;
  /** Lines asked of the fallback model because the main one was down. */
  fallbacks = 0;
  /** Calls not made because the model's circuit was open. */
  shortCircuited = 0;
  /**
   * Attempts the line's time ran out on before the provider had its full LLM_TIMEOUT_MS:
   * no verdict on the provider, so neither a fault nor a breaker failure.
   */
  cutShort = 0;
  promptTokens = 0;
  completionTokens = 0;
  private readonly tokensByModel = new Map<string, { prompt: number; completion: number; lines: number }>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private lastError: string | null = null;
  /** Running average of answer times per model, in milliseconds. */
  private readonly latency = new Map<string, number>();

  constructor(private readonly config: AppConfig) {}

  /** The breaker of one model (`provider:model`); created on first use. */
  breaker(model: string): CircuitBreaker {
    let breaker = this.breakers.get(model);
    if (!breaker) {
      // Wall-clock time: breakers pace real HTTP calls, not the simulation.
      breaker = new CircuitBreaker(this.config.llm.breakerFailures, this.config.llm.breakerCooldownMs, () =>
        Date.now(),
      );
      this.breakers.set(model, breaker);
    }
    return breaker;
  }

  record(
    outcome: CallOutcome,
    usage?: { promptTokens: number; completionTokens: number },
    error?: string,
    model?: string,
  ): void {
    this.outcomes[outcome] += 1;
    if (usage) this.addUsage(usage, model ?? this.config.llm.model, outcome === 'ok' || outcome === 'recovered');
    if (error && outcome !== 'ok' && outcome !== 'recovered' && outcome !== 'aborted') this.lastError = error;
  }

  /** Tokens spent, whether or not the answer became a line. */
  addUsage(usage: { promptTokens: number; completionTokens: number }, model: string, shown: boolean): void {
    this.promptTokens += usage.promptTokens;
    this.completionTokens += usage.completionTokens;
    const entry = this.tokensByModel.get(model) ?? { prompt: 0, completion: 0, lines: 0 };
    entry.prompt += usage.promptTokens;
    entry.completion += usage.completionTokens;
    if (shown) entry.lines += 1;
    this.tokensByModel.set(model, entry);
  }

  /** Time one successful provider call took (slot granted to answer), in milliseconds. */
  observeLatency(model: string, ms: number): void {
    const previous = this.latency.get(model);
    this.latency.set(model, previous === undefined ? ms : previous + LATENCY_EWMA_WEIGHT * (ms - previous));
  }

  /** The model's typical answer time so far; undefined before its first answer. */
  typicalLatencyMs(model: string): number | undefined {
    return this.latency.get(model);
  }

  fault(kind: FaultKind): void {
    this.faults[kind] += 1;
  }

  get provider(): string {
    return parseModelSpec(this.config.llm.model).provider;
  }

  /** Whether a scene may start a conversation: the main model, or the fallback, can take a call. */
  canServe(): boolean {
    if (this.breaker(this.config.llm.model).available) return true;
    const fallback = this.config.llm.fallbackModel;
    return fallback !== null && this.breaker(fallback).available;
  }

  /**
   * Whether no model is known to answer now: the main model's circuit is not closed and
   * there is no fallback whose circuit is. A probe may be due (so `canServe`), but until it
   * succeeds the storyteller counts as away: viewers and readiness do not flap with every
   * probe.
   */
  resting(): boolean {
    if (this.breaker(this.config.llm.model).state === 'closed') return false;
    const fallback = this.config.llm.fallbackModel;
    return fallback === null || this.breaker(fallback).state !== 'closed';
  }

  /** Up while the main model's circuit is closed. */
  isUp(): boolean {
    return this.breaker(this.config.llm.model).state === 'closed';
  }

  summary() {
    const main = this.breaker(this.config.llm.model);
    const fallback = this.config.llm.fallbackModel;
    return {
      model: this.config.llm.model,
      provider: this.provider,
      fallbackModel: fallback,
      up: main.state === 'closed',
      breaker: {
        state: main.state,
        consecutiveFailures: main.consecutiveFailures,
        opens: main.opens,
        retryInMs: main.retryInMs,
      },
      fallbackBreaker: fallback
        ? { state: this.breaker(fallback).state, consecutiveFailures: this.breaker(fallback).consecutiveFailures }
        : null,
      usingFallback: main.state !== 'closed' && fallback !== null,
      consecutiveFailures: main.consecutiveFailures,
      lastError: this.lastError,
      calls: { ...this.outcomes },
      faults: { ...this.faults },
      retries: this.retries,
      fallbacks: this.fallbacks,
      shortCircuited: this.shortCircuited,
      cutShort: this.cutShort,
      tokens: {
        prompt: this.promptTokens,
        completion: this.completionTokens,
        byModel: Object.fromEntries(this.tokensByModel),
      },
    };
  }
}
