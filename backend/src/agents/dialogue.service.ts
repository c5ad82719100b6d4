import { Injectable, Logger } from '@nestjs/common';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, SystemMessage, type AIMessage } from '@langchain/core/messages';
import type { Runnable } from '@langchain/core/runnables';
import { AppConfig } from '../config/app-config.js';
import type { CharacterDefinition } from '../characters/character-definition.js';
import { FairLimiter } from './fair-limiter.js';
import { cleanAnswer, lineSchema, recoverLine, type CleanLine, type LineAnswer } from './line-parser.js';
import { LlmStatusService } from './llm-status.service.js';
import { ChatModelFactory } from './model-factory.js';
import type { StorytellerContext } from './offline/storyteller.model.js';
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
}

export interface GeneratedLine extends CleanLine {
  model: string;
  usage: { promptTokens: number; completionTokens: number };
  latencyMs: number;
}

export class LineGenerationError extends Error {
  constructor(
    readonly outcome: 'timeout' | 'error' | 'rejected' | 'aborted',
    message: string,
  ) {
    super(message);
  }
}

type StructuredResult = { raw: AIMessage; parsed: LineAnswer | null; parsingError?: unknown };

/**
 * Turns a line request into one line from a LangChain chat model: assembles the prompt
 * from the template file, asks for a structured answer through function calling (the
 * portable method), recovers plain-text answers, and never returns raw JSON or error
 * text as dialogue. Calls share a fair limiter and each has a real abort on timeout.
 */
@Injectable()
export class DialogueService {
  private readonly logger = new Logger(DialogueService.name);
  private readonly limiter: FairLimiter;
  private readonly structured = new WeakMap<BaseChatModel, Runnable>();

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

  modelFor(speaker: CharacterDefinition): string {
    return speaker.model ?? this.config.llm.model;
  }

  async generate(request: LineRequest, signal?: AbortSignal): Promise<GeneratedLine> {
    const timeout = AbortSignal.timeout(this.config.llm.timeoutMs);
    const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const modelName = this.modelFor(request.speaker);
    try {
      return await this.limiter.run(request.sceneId, () => this.call(request, modelName, abort), abort);
    } catch (error) {
      const failure = this.classify(error, timeout, signal);
      this.status.record(failure.outcome, undefined, failure.message);
      throw failure;
    }
  }

  private async call(request: LineRequest, modelName: string, signal: AbortSignal): Promise<GeneratedLine> {
    const started = performance.now();
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
    const result = (await this.structuredModel(model).invoke(messages, { signal, storyteller: context } as Record<string, unknown>)) as StructuredResult;
    const usage = {
      promptTokens: result.raw?.usage_metadata?.input_tokens ?? 0,
      completionTokens: result.raw?.usage_metadata?.output_tokens ?? 0,
    };
    let line = cleanAnswer(result.parsed, request.speaker.name);
    let outcome: 'ok' | 'recovered' = 'ok';
    if (!line) {
      // The model answered in plain text or broken JSON: recover what was said, if anything.
      line = recoverLine(contentText(result.raw), request.speaker.name);
      outcome = 'recovered';
    }
    if (!line) {
      this.status.record('rejected', usage, 'the model answered with nothing speakable');
      throw new LineGenerationError('rejected', 'the model answered with nothing speakable');
    }
    this.status.record(outcome, usage);
    return { ...line, model: modelName, usage, latencyMs: Math.round(performance.now() - started) };
  }

  private structuredModel(model: BaseChatModel): Runnable {
    let runnable = this.structured.get(model);
    if (!runnable) {
      runnable = model.withStructuredOutput(lineSchema, { name: 'say_line', method: 'functionCalling', includeRaw: true }) as unknown as Runnable;
      this.structured.set(model, runnable);
    }
    return runnable;
  }

  private classify(error: unknown, timeout: AbortSignal, external?: AbortSignal): LineGenerationError {
    if (error instanceof LineGenerationError) return error;
    if (timeout.aborted) return new LineGenerationError('timeout', `no answer within ${this.config.llm.timeoutMs} ms`);
    if (external?.aborted) return new LineGenerationError('aborted', 'cancelled');
    // Provider messages can echo request details; keep only the first line, never headers or keys.
    const message = redact((error as Error)?.message?.split('\n')[0] ?? String(error), this.config.llm.apiKey);
    this.logger.warn(`LLM call failed: ${message}`);
    return new LineGenerationError('error', message);
  }
}

function contentText(message: AIMessage | undefined): string {
  if (!message) return '';
  const content = message.content;
  if (typeof content === 'string') return content;
  return content.map((part) => (typeof part === 'string' ? part : 'text' in part && typeof part.text === 'string' ? part.text : '')).join('');
}

export function redact(text: string, secret: string | null): string {
  let out = text.replace(/(sk-[A-Za-z0-9_-]{6})[A-Za-z0-9_-]+/g, '$1…').replace(/(Bearer\s+)\S+/gi, '$1…');
  if (secret && secret.length >= 4) out = out.split(secret).join('…');
  return out;
}
