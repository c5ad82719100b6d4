import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { MODEL_PROVIDER_CONFIG, getChatModelByClassName } from 'langchain/chat_models/universal';
import { AppConfig } from '../config/app-config.js';
import { OfflineStorytellerChatModel } from './offline/storyteller.model.js';
import { parseRetryAfter } from './retry.js';

export interface ModelSpec {
  /** `provider:model`, as LLM_MODEL and a character's `model:` take it. */
  model: string;
  temperature?: number | null;
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

/** Splits `provider:model`; the model part may itself hold colons (`ollama:llama3.2:3b`). */
export function parseModelSpec(spec: string): { provider: string; name: string } {
  const index = spec.indexOf(':');
  if (index <= 0 || index === spec.length - 1)
    throw new ModelConfigError(`model "${spec}" must be provider:model, e.g. openai:gpt-4o-mini`);
  return { provider: spec.slice(0, index).toLowerCase(), name: spec.slice(index + 1) };
}

/** The provider's own key variable, for providers whose clients read one. */
export const PROVIDER_KEY_VARIABLES: Record<string, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  groq: 'GROQ_API_KEY',
  mistralai: 'MISTRAL_API_KEY',
  'google-genai': 'GOOGLE_API_KEY',
  deepseek: 'DEEPSEEK_API_KEY',
  xai: 'XAI_API_KEY',
  'together-ai': 'TOGETHER_AI_API_KEY',
  fireworks: 'FIREWORKS_API_KEY',
  cerebras: 'CEREBRAS_API_KEY',
  cohere: 'COHERE_API_KEY',
};

/** What one model call carries into the HTTP layer, and what it saw there. */
export interface CallContext {
  signal?: AbortSignal;
  status?: number;
  retryAfterMs?: number | null;
}

/**
 * The context of the call in progress. Our fetch reads the call's abort signal from it
 * (ChatOllama does not hand its signal to fetch, so without this a stalled Ollama
 * request would hold its socket after the timeout) and records the status and
 * Retry-After of a failed response (ollama-js drops the headers from its errors).
 */
export const callContext = new AsyncLocalStorage<CallContext>();

const callFetch: typeof fetch = async (input, init) => {
  const context = callContext.getStore();
  const signals = [init?.signal, context?.signal].filter((s): s is AbortSignal => Boolean(s));
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  const response = await fetch(input, { ...init, signal });
  if (context && !response.ok) {
    context.status = response.status;
    context.retryAfterMs = parseRetryAfter(response.headers);
  }
  return response;
};

/** A placeholder key for OpenAI-compatible servers that want none (vLLM, llama.cpp, LM Studio): the client insists on one. */
const NO_KEY = 'not-needed';

/**
 * Makes chat models from `provider:model` through LangChain's initChatModel, or our
 * offline model for `offline:*`. Instances are cached per model and temperature: they
 * hold HTTP agents and are safe to share between concurrent calls.
 */
@Injectable()
export class ChatModelFactory implements OnModuleInit {
  private readonly logger = new Logger(ChatModelFactory.name);
  private readonly cache = new Map<string, Promise<BaseChatModel>>();
  private readonly unusable = new Map<string, string>();

  constructor(private readonly config: AppConfig) {}

  /** At boot: LLM_MODEL and LLM_FALLBACK_MODEL must be usable, or the start stops naming them. */
  async onModuleInit(): Promise<void> {
    const wanted = [{ model: this.config.llm.model, source: 'LLM_MODEL' }];
    if (this.config.llm.fallbackModel)
      wanted.push({ model: this.config.llm.fallbackModel, source: 'LLM_FALLBACK_MODEL' });
    await this.verify(wanted);
  }

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

  /**
   * Whether a model can be created here (package installed, key present), by the same
   * check boot uses: null when it can, else the cause. A model that fails is remembered as
   * unusable, so `isUsable` can route its characters to the default model meanwhile.
   */
  async check(model: string): Promise<string | null> {
    try {
      await this.get({ model });
      this.unusable.delete(model);
      return null;
    } catch (error) {
      const cause = (error as Error).message.split('\n')[0];
      this.unusable.set(model, cause);
      return cause;
    }
  }

  /** False for a model `check` found unusable (until a later check succeeds). */
  isUsable(model: string): boolean {
    return !this.unusable.has(model);
  }

  /**
   * Creates every model the configuration names, at boot: a missing provider package or
   * key stops the app with a message naming the package or variable and where the model
   * was asked for, rather than the first conversation failing.
   */
  async verify(models: { model: string; source: string }[]): Promise<void> {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const { model, source } of models) {
      if (seen.has(model)) continue;
      seen.add(model);
      try {
        await this.get({ model });
      } catch (error) {
        problems.push(`${source} (${model}): ${(error as Error).message}`);
      }
    }
    if (problems.length > 0)
      throw new ModelConfigError(
        `Cannot use the configured LLM models:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
  }

  private async create(spec: ModelSpec): Promise<BaseChatModel> {
    const { provider, name } = parseModelSpec(spec.model);
    if (provider === 'offline') return new OfflineStorytellerChatModel({ model: name });
    const { baseUrl, apiKey, timeoutMs, streaming } = this.config.llm;
    const fields: Record<string, unknown> = {
      // Retries, timeouts and backoff are ours (the dialogue service), not the client's.
      maxRetries: 0,
      timeout: timeoutMs,
    };
    if (spec.temperature !== null && spec.temperature !== undefined) fields.temperature = spec.temperature;
    if (streaming) fields.streaming = true;
    const ownKey = PROVIDER_KEY_VARIABLES[provider];
    const key = apiKey ?? (ownKey ? process.env[ownKey] || null : null);
    if (provider === 'ollama') {
      if (baseUrl) fields.baseUrl = baseUrl;
      fields.fetch = callFetch;
      // An Ollama behind an authenticating proxy takes the key as a bearer token.
      if (apiKey) fields.headers = { Authorization: `Bearer ${apiKey}` };
    } else if (provider === 'anthropic') {
      if (baseUrl) fields.anthropicApiUrl = baseUrl;
      fields.clientOptions = { fetch: callFetch };
      if (!key) throw new ModelConfigError(`LLM provider anthropic needs a key: set LLM_API_KEY or ANTHROPIC_API_KEY`);
      fields.apiKey = key;
    } else if (provider === 'openai') {
      fields.configuration = { fetch: callFetch, ...(baseUrl ? { baseURL: baseUrl } : {}) };
      if (!key && !baseUrl)
        throw new ModelConfigError(
          `LLM provider openai needs a key: set LLM_API_KEY or OPENAI_API_KEY (or LLM_BASE_URL for a local OpenAI-compatible server)`,
        );
      fields.apiKey = key ?? NO_KEY;
    } else {
      if (baseUrl) {
        fields.baseUrl = baseUrl;
        fields.baseURL = baseUrl;
      }
      if (apiKey) fields.apiKey = apiKey;
    }
    // The concrete client (ChatOpenAI, ChatOllama, …), one instance reused by every call and
    // by withStructuredOutput. initChatModel would wrap it in a ConfigurableModel whose
    // instance is private (it used to be reached through `_getModelInstance`); we take the
    // two public pieces initChatModel itself builds it from: LangChain's table of providers
    // (the same provider names LLM_MODEL takes) and its class loader.
    const entry = (MODEL_PROVIDER_CONFIG as Record<string, { className: string } | undefined>)[provider];
    if (!entry)
      throw new ModelConfigError(`LLM provider "${provider}" is not one LangChain's initChatModel knows (nor offline)`);
    try {
      const ChatModel = (await getChatModelByClassName(entry.className, provider)) as
        (new (fields: Record<string, unknown>) => BaseChatModel) | undefined;
      if (!ChatModel) throw new Error(`Unsupported { modelProvider: ${provider} }`);
      const model = new ChatModel({ model: name, ...fields });
      this.logger.log(`Model ready: ${provider}:${name}${baseUrl ? ' at a custom base URL' : ''}`);
      return model;
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      const missing = /Unable to import (@langchain\/[\w-]+)|Cannot find (?:package|module) '(@?[\w/-]+)'/.exec(
        message,
      );
      if (missing)
        throw new ModelConfigError(
          `LLM provider "${provider}" needs the package ${missing[1] ?? missing[2]}: npm install ${missing[1] ?? missing[2]}`,
        );
      if (/Unsupported \{ modelProvider/.test(message))
        throw new ModelConfigError(
          `LLM provider "${provider}" is not one LangChain's initChatModel knows (nor offline)`,
        );
      const keyVariable = ownKey ? `LLM_API_KEY or ${ownKey}` : 'LLM_API_KEY';
      if (/api key|apikey|api_key/i.test(message))
        throw new ModelConfigError(`LLM provider "${provider}" needs a key: set ${keyVariable}`);
      throw new ModelConfigError(`cannot create model ${provider}:${name}: ${message.split('\n')[0]}`);
    }
  }
}
