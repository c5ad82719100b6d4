import type { IncomingMessage, ServerResponse } from 'node:http';
import { COMPLETION_TOKENS, FakeLlmServer, PROMPT_TOKENS, type FakeMode } from './fake-server.js';

/**
 * An OpenAI-compatible server (as vLLM, llama.cpp's server or LM Studio speak it):
 * POST /v1/chat/completions, plain or streamed (SSE), tool calls and json_schema answers,
 * and the faults of `FakeMode`.
 */
export class FakeOpenAiServer extends FakeLlmServer {
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  protected isChat(path: string): boolean {
    return path === '/v1/chat/completions';
  }

  protected answer(mode: FakeMode, body: any, req: IncomingMessage, res: ServerResponse): void {
    const line = this.nextLine();
    const tool = body?.tools?.[0]?.function?.name as string | undefined;
    const wantsSchema = body?.response_format?.type === 'json_schema' || body?.response_format?.type === 'json_object';
    switch (mode) {
      case 'error500':
        return this.json(res, 500, {
          error: { message: 'The server had an error while processing your request.', type: 'server_error' },
        });
      case 'rate429':
        return this.json(
          res,
          429,
          { error: { message: 'Rate limit reached, slow down.', type: 'rate_limit_error' } },
          { 'retry-after': String(this.retryAfterSeconds) },
        );
      case 'auth401':
        // A careless provider that echoes what it was sent: the app must never pass this on.
        return this.json(res, 401, {
          error: {
            message: `Incorrect API key provided: ${req.headers.authorization ?? ''}`,
            type: 'invalid_request_error',
          },
        });
      case 'stall':
        if (!body?.stream) return; // never answers
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify(this.chunk(body, { role: 'assistant', content: '' }, null))}\n\n`);
        return; // and nothing more
      case 'truncatedBody':
        return this.truncated(res, this.completion(body, { role: 'assistant', content: line.say }, 'stop'));
      default:
        break;
    }
    let message: Record<string, unknown>;
    let finish = 'stop';
    if (mode === 'tool' && tool && !wantsSchema) {
      message = {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: `call_${this.requests.length}`,
            type: 'function',
            function: { name: tool, arguments: JSON.stringify(line) },
          },
        ],
      };
      finish = 'tool_calls';
    } else if (mode === 'tool' || (mode === 'json' && wantsSchema)) {
      message = { role: 'assistant', content: JSON.stringify(line) };
    } else if (mode === 'json') {
      message = { role: 'assistant', content: `\`\`\`json\n${JSON.stringify(line)}\n\`\`\`` };
    } else if (mode === 'plain') {
      message = { role: 'assistant', content: `Someone: "${line.say}"` };
    } else if (mode === 'cutoff' || mode === 'cutoffSay') {
      const args = this.cutJson(line, mode === 'cutoffSay');
      message = tool
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_cut', type: 'function', function: { name: tool, arguments: args } }],
          }
        : { role: 'assistant', content: args };
      finish = 'length';
    } else {
      message = { role: 'assistant', content: 'Error: upstream model crashed (CUDA out of memory)' };
    }
    if (body?.stream) return this.stream(res, body, message, finish);
    this.json(res, 200, this.completion(body, message, finish));
  }

  private completion(body: any, message: Record<string, unknown>, finish: string) {
    return {
      id: `chatcmpl-${this.requests.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body?.model ?? 'fake',
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      usage: {
        prompt_tokens: PROMPT_TOKENS,
        completion_tokens: COMPLETION_TOKENS,
        total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS,
      },
    };
  }

  private chunk(body: any, delta: Record<string, unknown>, finish: string | null) {
    return {
      id: `chatcmpl-${this.requests.length}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: body?.model ?? 'fake',
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
  }

  /** Server-Sent Events as OpenAI streams them: role, pieces of content or arguments, finish, usage, [DONE]. */
  private stream(res: ServerResponse, body: any, message: Record<string, unknown>, finish: string): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
    send(this.chunk(body, { role: 'assistant', content: '' }, null));
    const calls = message.tool_calls as { id: string; function: { name: string; arguments: string } }[] | undefined;
    if (calls) {
      const call = calls[0];
      send(
        this.chunk(
          body,
          {
            tool_calls: [
              { index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
            ],
          },
          null,
        ),
      );
      for (const piece of call.function.arguments.match(/.{1,7}/gs) ?? [])
        send(this.chunk(body, { tool_calls: [{ index: 0, function: { arguments: piece } }] }, null));
    } else {
      for (const piece of (typeof message.content === 'string' ? message.content : '').match(/.{1,5}/gs) ?? [])
        send(this.chunk(body, { content: piece }, null));
    }
    send(this.chunk(body, {}, finish));
    if (body?.stream_options?.include_usage) {
      send({
        id: `chatcmpl-${this.requests.length}`,
        object: 'chat.completion.chunk',
        created: 0,
        model: body?.model ?? 'fake',
        choices: [],
        usage: {
          prompt_tokens: PROMPT_TOKENS,
          completion_tokens: COMPLETION_TOKENS,
          total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS,
        },
      });
    }
    res.end('data: [DONE]\n\n');
  }
}
