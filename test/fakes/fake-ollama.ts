import type { IncomingMessage, ServerResponse } from 'node:http';
import { COMPLETION_TOKENS, FakeLlmServer, PROMPT_TOKENS, type FakeMode } from './fake-server.js';

/**
 * An Ollama server: POST /api/chat, streamed as NDJSON (what ChatOllama always asks for)
 * or in one JSON answer when `stream: false`; tool calls with object arguments, `format`
 * (JSON schema) answers, and the faults of `FakeMode`.
 */
export class FakeOllamaServer extends FakeLlmServer {
  protected isChat(path: string): boolean {
    return path === '/api/chat';
  }

  protected answer(mode: FakeMode, body: any, _req: IncomingMessage, res: ServerResponse): void {
    const line = this.nextLine();
    const tool = body?.tools?.[0]?.function?.name as string | undefined;
    switch (mode) {
      case 'error500':
        return this.json(res, 500, { error: 'llama runner process has terminated: signal: killed' });
      case 'rate429':
        return this.json(res, 429, { error: 'too many requests' }, { 'retry-after': String(this.retryAfterSeconds) });
      case 'auth401':
        return this.json(res, 401, { error: `unauthorized: ${_req.headers.authorization ?? ''}` });
      case 'stall':
        if (body?.stream === false) return;
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write(`${JSON.stringify(this.part(body, { role: 'assistant', content: '' }))}\n`);
        return;
      case 'truncatedBody':
        return this.truncated(res, this.done(body, { role: 'assistant', content: line.say }));
      default:
        break;
    }
    let message: Record<string, unknown>;
    if (mode === 'tool' && tool && !body?.format)
      message = { role: 'assistant', content: '', tool_calls: [{ function: { name: tool, arguments: line } }] };
    else if (mode === 'tool' || mode === 'json')
      message = {
        role: 'assistant',
        content:
          mode === 'json' && !body?.format ? `\`\`\`json\n${JSON.stringify(line)}\n\`\`\`` : JSON.stringify(line),
      };
    else if (mode === 'plain') message = { role: 'assistant', content: `Someone: "${line.say}"` };
    else if (mode === 'cutoff' || mode === 'cutoffSay')
      message = { role: 'assistant', content: this.cutJson(line, mode === 'cutoffSay') };
    else message = { role: 'assistant', content: '{"error": "model requires more system memory"}' };

    if (body?.stream === false) return this.json(res, 200, this.done(body, message));
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    if (message.tool_calls) {
      res.write(`${JSON.stringify(this.part(body, message))}\n`);
    } else {
      for (const piece of String(message.content).match(/.{1,6}/gs) ?? [])
        res.write(`${JSON.stringify(this.part(body, { role: 'assistant', content: piece }))}\n`);
    }
    res.end(`${JSON.stringify(this.done(body, { role: 'assistant', content: '' }))}\n`);
  }

  private part(body: any, message: Record<string, unknown>) {
    return { model: body?.model ?? 'fake', created_at: new Date().toISOString(), message, done: false };
  }

  private done(body: any, message: Record<string, unknown>) {
    return {
      model: body?.model ?? 'fake',
      created_at: new Date().toISOString(),
      message,
      done: true,
      done_reason: 'stop',
      total_duration: 1_000_000,
      prompt_eval_count: PROMPT_TOKENS,
      eval_count: COMPLETION_TOKENS,
    };
  }
}
