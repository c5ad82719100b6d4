import { Injectable, Logger } from '@nestjs/common';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { initChatModel } from 'langchain/chat_models/universal';
import { AppConfig } from '../config/app-config.js';
import { OfflineStorytellerChatModel } from './offline/storyteller.model.js';

export interface ModelSpec {
  /** `provider:model`, as LLM_MODEL and a character's `model:` take it. */
  model: string;
  temperature?: number | null;
}

export class ModelConfigError extends Error {}

/** Splits `provider:model`; the model part may itself hold colons (`ollama:llama3.2:3b`). */
export function parseModelSpec(spec: string): { provider: string; name: string } {
  const index = spec.indexOf(':');
  if (index <= 0 || index === spec.length - 1) throw new ModelConfigError(`model "${spec}" must be provider:model, e.g. openai:gpt-4o-mini`);
  return { provider: spec.slice(0, index).toLowerCase(), name: spec.slice(index + 1) };
}

/**
 * Makes chat models from `provider:model` through LangChain's initChatModel, or our
 * offline model for `offline:*`. Instances are cached per model and temperature: they
 * hold HTTP agents and are safe to share between concurrent calls.
 */
@Injectable()
export class ChatModelFactory {
  private readonly logger = new Logger(ChatModelFactory.name);
  private readonly cache = new Map<string, Promise<BaseChatModel>>();

  constructor(private readonly config: AppConfig) {}

  get(spec: ModelSpec): Promise<BaseChatModel> {
    const key = `${spec.model}@${spec.temperature ?? ''}`;
    let model = this.cache.get(key);
    if (!model) {
      model = this.create(spec);
      // A failed creation (missing package, say) is not cached, so a fix takes effect.
      model.catch(() => this.cache.delete(key));
      this.cache.set(key, model);
    }
    return model;
  }

  private async create(spec: ModelSpec): Promise<BaseChatModel> {
    const { provider, name } = parseModelSpec(spec.model);
    if (provider === 'offline') return new OfflineStorytellerChatModel({ model: name });
    const { baseUrl, apiKey, timeoutMs } = this.config.llm;
    const fields: Record<string, unknown> = {
      modelProvider: provider,
      // Retries, timeouts and backoff are ours (the dialogue service), not the client's.
      maxRetries: 0,
      timeout: timeoutMs,
    };
    if (spec.temperature !== null && spec.temperature !== undefined) fields.temperature = spec.temperature;
    if (provider === 'ollama') {
      if (baseUrl) fields.baseUrl = baseUrl;
    } else if (baseUrl) {
      fields.configuration = { baseURL: baseUrl };
      fields.baseURL = baseUrl;
    }
    if (apiKey) fields.apiKey = apiKey;
    try {
      const model = (await initChatModel(name, fields)) as unknown as BaseChatModel;
      this.logger.log(`Model ready: ${provider}:${name}${baseUrl ? ' at a custom base URL' : ''}`);
      return model;
    } catch (error) {
      const message = (error as Error).message;
      const missing = /Unable to import (@langchain\/[\w-]+)|Cannot find (?:package|module) '(@?[\w/-]+)'/.exec(message);
      if (missing) throw new ModelConfigError(`LLM provider "${provider}" needs the package ${missing[1] ?? missing[2]}: npm install ${missing[1] ?? missing[2]}`);
      throw new ModelConfigError(`cannot create model ${provider}:${name}: ${message}`);
    }
  }
}
