import { ChatOllama } from '@langchain/ollama';
import { ChatOpenAI } from '@langchain/openai';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config.js';
import { ChatModelFactory, ModelConfigError } from './model-factory.js';
import { OfflineStorytellerChatModel } from './offline/storyteller.model.js';

const factory = (env: Record<string, string> = {}) =>
  new ChatModelFactory(loadConfig({ LOG_LEVEL: 'silent', LLM_TIMEOUT_MS: '1234', ...env }));

describe('ChatModelFactory', () => {
  it('builds the concrete LangChain client of the provider, with our retries and timeout', async () => {
    const openai = await factory({ LLM_BASE_URL: 'http://127.0.0.1:9/v1' }).get({ model: 'openai:gpt-4o-mini' });
    expect(openai).toBeInstanceOf(ChatOpenAI);
    expect(openai).toMatchObject({ model: 'gpt-4o-mini', timeout: 1234, caller: { maxRetries: 0 } });
    const ollama = await factory().get({ model: 'ollama:llama3.2:3b', temperature: 0.3 });
    expect(ollama).toBeInstanceOf(ChatOllama);
    expect(ollama).toMatchObject({ model: 'llama3.2:3b', temperature: 0.3 });
    expect(await factory().get({ model: 'offline:storyteller' })).toBeInstanceOf(OfflineStorytellerChatModel);
  });

  it('names what is wrong with a model it cannot build', async () => {
    await expect(factory().get({ model: 'nonsense:x' })).rejects.toThrow(/"nonsense" is not one LangChain/);
    await expect(factory().get({ model: 'groq:llama-3.1-8b-instant' })).rejects.toThrow(
      /needs the package @langchain\/groq: npm install @langchain\/groq/,
    );
    await expect(factory().get({ model: 'openai:gpt-4o-mini' })).rejects.toBeInstanceOf(ModelConfigError);
  });
});
