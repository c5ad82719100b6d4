import type { IncomingMessage, ServerResponse } from 'node:http';
import { COMPLETION_TOKENS, FakeLlmServer, PROMPT_TOKENS, type FakeMode } from './fake-server.js';

/** A minimal Anthropic Messages API: POST /v1/messages, non-streamed, tool_use answers and 429/500 faults. */
export class FakeAnthropicServer extends FakeLlmServer {
  protected isChat(path: string): boolean {
    return path === '/v1/messages';
  }

  protected answer(mode: FakeMode, body: any, _req: IncomingMessage, res: ServerResponse): void {
    const line = this.nextLine();
    if (mode === 'error500')
      return this.json(res, 500, { type: 'error', error: { type: 'api_error', message: 'Internal server error' } });
    if (mode === 'rate429')
      return this.json(
        res,
        429,
        { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
        { 'retry-after': String(this.retryAfterSeconds) },
      );
    if (mode === 'stall') return;
    const tool = body?.tools?.[0]?.name as string | undefined;
    const content =
      mode === 'tool' && tool
        ? [{ type: 'tool_use', id: `toolu_${this.requests.length}`, name: tool, input: line }]
        : [{ type: 'text', text: `Someone: "${line.say}"` }];
    this.json(res, 200, {
      id: `msg_${this.requests.length}`,
      type: 'message',
      role: 'assistant',
      model: body?.model ?? 'fake',
      content,
      stop_reason: content[0].type === 'tool_use' ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: PROMPT_TOKENS, output_tokens: COMPLETION_TOKENS },
    });
  }
}
