import { Injectable, Logger } from '@nestjs/common';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import { AIMessage, HumanMessage, SystemMessage, type AIMessageChunk } from '@langchain/core/messages';
import type { Runnable } from '@langchain/core/runnables';
import { AppConfig } from '../config/app-config.js';
import type { CharacterDefinition } from '../characters/character-definition.js';
import { FairLimiter } from './fair-limiter.js';
import { cleanAnswer, lineSchema, recoverLine, type CleanLine, type LineAnswer } from './line-parser.js';
import { LlmStatusService } from './llm-status.service.js';
import {
  ChatModelFactory,
  PROVIDER_KEY_VARIABLES,
  callContext,
  parseModelSpec,
  type CallContext,
} from './model-factory.js';
import { backoffMs, describeFault, raceAbort, sleep, type Fault } from './retry.js';
import { OfflineStorytellerChatModel, type StorytellerContext } from './offline/storyteller.model.js';
import { assembleDialoguePrompt } from './prompt/dialogue-prompt.js';
import { PromptTemplatesService } from './prompt-templates.service.js';

export interface LineRequest {
  sceneId: string;
  opId: string;
  speaker: CharacterDefinition;
  partner: CharacterDefinition;
  mood: string;
  place: string | null;
  sceneDescription: string;
  history: { characterId: string; text: string }[];
  memories: string[];
  turn: number;
  maxTurns: number;
  /**
   * Longest this line may still take, retries and fallback included (the scene's deadline
   * for it, less the time to hand the answer back). Defaults to `lineBudgetMs`.
   */
  budgetMs?: number;
}

export interface GeneratedLine extends CleanLine {
  model: string;
  usage: { promptTokens: number; completionTokens: number };
  latencyMs: number;
}

/**
 * Why a line could not be had. `busy`: no LLM slot came free while there was still time
 * for a useful attempt (congestion here, not a provider fault: it never counts against
 * the circuit breaker). `timeout`: the provider was asked and did not answer in time.
 */
export type FailureOutcome = 'timeout' | 'busy' | 'error' | 'rejected' | 'aborted' | 'unavailable';

export class LineGenerationError extends Error {
  constructor(
    readonly outcome: FailureOutcome,
    message: string,
    /** Whether the provider is to blame (counts against its circuit breaker). */
    readonly providerFault = outcome === 'timeout' || outcome === 'error',
  ) {
    super(message);
  }
}

/** One line may take this many LLM timeouts in all, retries, backoff and fallback included. */
export const LINE_BUDGET_TIMEOUTS = 2;
/** No attempt is started with less than this left of the line's budget (see `minAttemptMs`). */
export const MIN_ATTEMPT_FLOOR_MS = 250;

/** The line's time ran out while it waited for an LLM slot. */
class QueueTimeout extends Error {
  constructor() {
    super('queue timeout');
  }
}

type StructuredResult = { raw: AIMessage; parsed: LineAnswer | null; parsingError?: unknown };

/**
 * Turns a line request into one line from a LangChain chat model: assembles the prompt
 * from the template file, asks for a structured answer through function calling (the
 * portable method), recovers plain-text answers, and never returns raw JSON or error
 * text as dialogue. Calls share a fair limiter and each has a real abort on timeout;
 * retryable failures (429, 5xx, dropped connections) are retried with backoff and
 * jitter, honouring Retry-After; a model that keeps failing has its circuit opened, and
 * the fallback model answers meanwhile.
 */
@Injectable()
export class DialogueService {
  private readonly logger = new Logger(DialogueService.name);
  private readonly limiter: FairLimiter;
  private readonly structured = new WeakMap<BaseChatModel, Runnable>();
  private readonly toolBound = new WeakMap<BaseChatModel, Runnable<BaseLanguageModelInput, AIMessageChunk>>();

  constructor(
    private readonly config: AppConfig,
    private readonly models: ChatModelFactory,
    private readonly templates: PromptTemplatesService,
    private readonly status: LlmStatusService,
  ) {
    this.limiter = new FairLimiter(config.llm.maxConcurrency);
  }

  get queueDepth(): number {
    return this.limiter.waiting;
  }

  get inFlight(): number {
    return this.limiter.active;
  }

  /** Longest a line may take, retries included; the simulation waits a little longer. */
  get lineBudgetMs(): number {
    return this.config.llm.timeoutMs * LINE_BUDGET_TIMEOUTS;
  }

  /** Whether no model is known to answer now (viewers are told the characters rest). */
  resting(): boolean {
    return this.status.resting();
  }

  /** Whether a new conversation could be served now (main model or fallback). */
  canServe(): boolean {
    return this.status.canServe();
  }

  /** The prompt a request would send: used by the agent and by previews and tests. */
  buildMessages(request: LineRequest): [SystemMessage, HumanMessage] {
    const names = new Map([
      [request.speaker.id, request.speaker.name],
      [request.partner.id, request.partner.name],
    ]);
    const prompt = assembleDialoguePrompt(this.templates.dialogueTemplate(), {
      speaker: request.speaker,
      mood: request.mood,
      partner: request.partner,
      relationship: request.speaker.relationships[request.partner.id],
      place: request.place,
      sceneDescription: request.sceneDescription,
      memories: request.memories,
      history: request.history.map((l) => ({ speakerName: names.get(l.characterId) ?? l.characterId, text: l.text })),
      turn: request.turn,
      maxTurns: request.maxTurns,
    });
    return [new SystemMessage(prompt.system), new HumanMessage(prompt.user)];
  }

  /** The character's own model, unless it was found unusable (then the default, as boot warned). */
  modelFor(speaker: CharacterDefinition): string {
    return speaker.model && this.models.isUsable(speaker.model) ? speaker.model : this.config.llm.model;
  }

  async generate(request: LineRequest, signal?: AbortSignal): Promise<GeneratedLine> {
    const budgetMs = Math.max(0, Math.floor(Math.min(this.lineBudgetMs, request.budgetMs ?? Infinity)));
    const budget = AbortSignal.timeout(budgetMs);
    const overall = signal ? AbortSignal.any([signal, budget]) : budget;
    const deadline = performance.now() + budgetMs;
    const primary = this.modelFor(request.speaker);
    const fallback = this.config.llm.fallbackModel;
    const candidates = fallback && fallback !== primary ? [primary, fallback] : [primary];
    let failure: LineGenerationError | null = null;
    for (const modelName of candidates) {
      const breaker = this.status.breaker(modelName);
      if (!breaker.tryAcquire()) {
        this.status.shortCircuited += 1;
        failure ??= new LineGenerationError(
          'unavailable',
          `${parseModelSpec(modelName).provider} is down; waiting for it to come back`,
        );
        continue;
      }
      if (modelName !== primary) this.status.fallbacks += 1;
      try {
        const line = await this.withRetries(request, modelName, overall, deadline, signal);
        breaker.success();
        this.status.record(line.outcome, line.usage, undefined, modelName);
        return line.line;
      } catch (error) {
        const lineError =
          error instanceof LineGenerationError ? error : new LineGenerationError('error', this.safeMessage(error));
        if (lineError.outcome === 'aborted') {
          breaker.release();
          this.status.record('aborted');
          throw lineError;
        }
        if (!lineError.providerFault) {
          // Congestion, or time that ran out before the provider had its full timeout: no
          // verdict on the provider. A half-open probe slot is handed back.
          breaker.release();
          this.status.record(lineError.outcome, undefined, lineError.message);
          throw lineError;
        }
        if (lineError.outcome === 'rejected') {
          // The provider answered, only not with a line: it is up, this answer is junk.
          breaker.success();
          this.status.record('rejected', undefined, lineError.message, modelName);
          throw lineError;
        }
        const wasClosed = breaker.state === 'closed';
        breaker.failure();
        if (wasClosed && breaker.state !== 'closed')
          this.logger.warn(
            `LLM ${modelName} is down after ${breaker.consecutiveFailures} failed calls in a row: ${lineError.message}`,
          );
        failure = lineError;
        // One failure of a healthy model is just that; the fallback takes over once it is down.
        if (breaker.state === 'closed') break;
      }
    }
    const final = failure ?? new LineGenerationError('error', 'no model could be asked');
    this.status.record(final.outcome, undefined, final.message);
    throw final;
  }

  /** Attempts one model until it answers, fails for good, or the line's budget runs out. */
  private async withRetries(
    request: LineRequest,
    modelName: string,
    overall: AbortSignal,
    deadline: number,
    external?: AbortSignal,
  ): Promise<{ line: GeneratedLine; outcome: 'ok' | 'recovered'; usage: GeneratedLine['usage'] }> {
    const started = performance.now();
    const timeoutMs = this.config.llm.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const minAttemptMs = this.minAttemptMs(modelName);
      // LLM_TIMEOUT_MS is time with the provider, so it starts when a slot is granted. A
      // waiter leaves the queue as soon as what would be left is too short for a useful
      // attempt: the slot goes to a line that can use it, and the scene hears back early.
      const queueMs = Math.max(0, Math.floor(deadline - performance.now() - minAttemptMs));
      const queueSignal = AbortSignal.any([overall, AbortSignal.timeout(queueMs)]);
      const slot: { timeout: AbortSignal | null; fullTime: boolean; at: number } = {
        timeout: null,
        fullTime: false,
        at: 0,
      };
      const context: CallContext = { signal: overall };
      try {
        const result = await this.limiter.run(
          request.sceneId,
          () => {
            const left = deadline - performance.now();
            if (left < minAttemptMs) return Promise.reject(new QueueTimeout());
            const attemptMs = Math.floor(Math.min(timeoutMs, left));
            slot.fullTime = attemptMs >= timeoutMs;
            slot.at = performance.now();
            // Counted when the retry goes out, not when it is planned: it may never get a slot.
            if (attempt > 0) this.status.retries += 1;
            slot.timeout = AbortSignal.timeout(attemptMs);
            const signal = AbortSignal.any([overall, slot.timeout]);
            context.signal = signal;
            return callContext.run(context, () => raceAbort(this.callOnce(request, modelName, signal), signal));
          },
          queueSignal,
        );
        this.status.observeLatency(modelName, performance.now() - slot.at);
        return { ...result, line: { ...result.line, latencyMs: Math.round(performance.now() - started) } };
      } catch (error) {
        if (error instanceof LineGenerationError) throw error;
        if (external?.aborted) throw new LineGenerationError('aborted', 'cancelled');
        // Never reached the provider: no slot while there was time for an attempt. Not a provider fault.
        if (slot.timeout === null)
          throw new LineGenerationError(
            'busy',
            `no free LLM slot in time (${this.limiter.active} calls in flight, ${this.limiter.waiting} waiting)`,
          );
        const timedOut = slot.timeout.aborted || overall.aborted;
        // The provider had less than its full LLM_TIMEOUT_MS (the line's time was running out):
        // a timeout then says nothing about the provider.
        if (timedOut && !slot.fullTime) {
          this.status.cutShort += 1;
          throw new LineGenerationError('timeout', `no answer in the ${Math.round(deadline - started)} ms left`, false);
        }
        const fault: Fault = timedOut
          ? { kind: 'timeout', status: null, retryable: false, retryAfterMs: null }
          : describeFault(error, context);
        this.status.fault(fault.kind);
        const message = fault.kind === 'timeout' ? `no answer within ${timeoutMs} ms` : this.safeMessage(error);
        if (fault.kind !== 'timeout')
          this.logger.warn(
            `LLM call to ${modelName} failed (${fault.kind}${fault.status ? ` ${fault.status}` : ''}): ${message}`,
          );
        if (!fault.retryable || attempt >= this.config.llm.maxRetries)
          throw new LineGenerationError(fault.kind === 'timeout' ? 'timeout' : 'error', message);
        // Honour Retry-After: never sooner than the provider asked, jittered backoff otherwise.
        const wait = Math.max(backoffMs(attempt), fault.retryAfterMs ?? 0);
        const left = deadline - performance.now();
        if (wait + this.minAttemptMs(modelName) > left)
          throw new LineGenerationError('error', `${message} (no time left to retry)`);
        try {
          await sleep(wait, overall);
        } catch {
          if (external?.aborted) throw new LineGenerationError('aborted', 'cancelled');
          throw new LineGenerationError('error', `${message} (no time left to retry)`);
        }
      }
    }
  }

  /**
   * Least time worth giving one attempt: twice the model's typical answer time, at least
   * MIN_ATTEMPT_FLOOR_MS, at most LLM_TIMEOUT_MS. A call with less is likely to be cut off:
   * it would cost the provider the work and the scene the wait, for nothing.
   */
  minAttemptMs(modelName: string): number {
    const timeoutMs = this.config.llm.timeoutMs;
    const typical = this.status.typicalLatencyMs(modelName) ?? timeoutMs / 4;
    return Math.min(timeoutMs, Math.max(MIN_ATTEMPT_FLOOR_MS, 2 * typical));
  }

  private async callOnce(
    request: LineRequest,
    modelName: string,
    signal: AbortSignal,
  ): Promise<{ line: GeneratedLine; outcome: 'ok' | 'recovered'; usage: GeneratedLine['usage'] }> {
    const model = await this.models.get({ model: modelName, temperature: request.speaker.temperature });
    const messages = this.buildMessages(request);
    const context: StorytellerContext = {
      speaker: { ...request.speaker, mood: request.mood },
      partner: { id: request.partner.id, name: request.partner.name },
      place: request.place,
      history: request.history,
      turn: request.turn,
      maxTurns: request.maxTurns,
      seed: request.opId,
    };
    const streamed = this.config.llm.streaming && !(model instanceof OfflineStorytellerChatModel);
    const result = streamed
      ? await this.streamAnswer(model, messages, signal)
      : ((await this.structuredModel(model).invoke(messages, { signal, storyteller: context } as Record<
          string,
          unknown
        >)) as StructuredResult);
    const usage = {
      promptTokens: result.raw?.usage_metadata?.input_tokens ?? 0,
      completionTokens: result.raw?.usage_metadata?.output_tokens ?? 0,
    };
    let line = cleanAnswer(result.parsed, request.speaker.name);
    let outcome: 'ok' | 'recovered' = 'ok';
    if (!line) {
      // Plain text, JSON in the content, or tool arguments cut off: recover what was said, if anything.
      outcome = 'recovered';
      for (const candidate of answerTexts(result.raw)) {
        line =
          typeof candidate === 'string'
            ? recoverLine(candidate, request.speaker.name)
            : cleanAnswer(candidate, request.speaker.name);
        if (line) break;
      }
    }
    if (!line) {
      // Tokens were spent all the same.
      this.status.addUsage(usage, modelName, false);
      throw new LineGenerationError('rejected', 'the model answered with nothing speakable');
    }
    return { line: { ...line, model: modelName, usage, latencyMs: 0 }, outcome, usage };
  }

  /**
   * The streamed path (LLM_STREAMING=true): the same tool offered, the chunks collected
   * into one message, then parsed as the structured path would. Not `invoke` on a
   * streaming ChatOpenAI: that estimates tokens with tiktoken, which downloads its
   * tables from the internet on first use; streamed usage comes from the provider.
   */
  private async streamAnswer(
    model: BaseChatModel,
    messages: [SystemMessage, HumanMessage],
    signal: AbortSignal,
  ): Promise<StructuredResult> {
    let bound = this.toolBound.get(model);
    if (!bound) {
      bound = model.bindTools!([
        { name: 'say_line', description: 'Say the next line of the conversation.', schema: lineSchema },
      ]);
      this.toolBound.set(model, bound);
    }
    let message: AIMessageChunk | undefined;
    for await (const chunk of await bound.stream(messages, { signal }))
      message = message ? message.concat(chunk) : chunk;
    if (!message) return { raw: new AIMessage(''), parsed: null };
    // Streamed tool calls are parsed leniently (partial JSON is completed): a call cut
    // off mid-sentence would pass as a short line. Judge the raw argument text strictly.
    const call = message.tool_call_chunks?.find((c) => c.name === 'say_line') ?? message.tool_call_chunks?.[0];
    let args: unknown;
    try {
      args = call?.args ? JSON.parse(call.args) : null;
    } catch {
      args = null;
    }
    const parsed = args ? lineSchema.safeParse(args) : null;
    const raw = new AIMessage({
      content: message.content,
      tool_calls: parsed?.success ? [{ name: 'say_line', args: parsed.data, id: call?.id, type: 'tool_call' }] : [],
      invalid_tool_calls:
        call && !parsed?.success
          ? [
              {
                name: call.name,
                args: call.args,
                id: call.id,
                error: 'arguments are not complete JSON',
                type: 'invalid_tool_call',
              },
            ]
          : [],
      usage_metadata: message.usage_metadata,
    });
    return { raw, parsed: parsed?.success ? parsed.data : null };
  }

  private structuredModel(model: BaseChatModel): Runnable {
    let runnable = this.structured.get(model);
    if (!runnable) {
      runnable = model.withStructuredOutput(lineSchema, {
        name: 'say_line',
        method: 'functionCalling',
        includeRaw: true,
      });
      this.structured.set(model, runnable);
    }
    return runnable;
  }

  /** A provider's error, first line only and with anything key-like removed. */
  private safeMessage(error: unknown): string {
    const provider = parseModelSpec(this.config.llm.model).provider;
    const ownKey = PROVIDER_KEY_VARIABLES[provider] ? process.env[PROVIDER_KEY_VARIABLES[provider]] : undefined;
    return redact(
      redact((error as Error)?.message?.split('\n')[0] ?? String(error), this.config.llm.apiKey),
      ownKey ?? null,
    ).slice(0, 300);
  }
}

/** Where a model may have put its line: tool arguments (whole or cut off), then the content. */
function answerTexts(message: AIMessage | undefined): (string | Partial<LineAnswer>)[] {
  if (!message) return [];
  const out: (string | Partial<LineAnswer>)[] = [];
  for (const call of message.tool_calls ?? []) out.push(call.args as Partial<LineAnswer>);
  for (const call of message.invalid_tool_calls ?? []) if (typeof call.args === 'string') out.push(call.args);
  out.push(contentText(message));
  return out;
}

function contentText(message: AIMessage | undefined): string {
  if (!message) return '';
  const content = message.content;
  if (typeof content === 'string') return content;
  return content
    .map((part) => (typeof part === 'string' ? part : 'text' in part && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

export function redact(text: string, secret: string | null): string {
  let out = text.replace(/(sk-[A-Za-z0-9_-]{6})[A-Za-z0-9_-]+/g, '$1…').replace(/(Bearer\s+)\S+/gi, '$1…');
  if (secret && secret.length >= 4) out = out.split(secret).join('…');
  return out;
}
