import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What a fake provider does with the next request. The answer modes are what real
 * models do; the rest are the faults the app must survive.
 */
export type FakeMode =
  /** A proper tool call with the line's arguments (or JSON content when asked for json_schema / format). */
  | 'tool'
  /** Plain text with a name prefix and quotes, ignoring the tool. */
  | 'plain'
  /** The line as JSON in the content, in a code fence, ignoring the tool (a json-schema style answer). */
  | 'json'
  /** Tool arguments (or JSON content) cut off after a complete "say": recoverable. */
  | 'cutoff'
  /** Cut off inside "say": nothing may be shown. */
  | 'cutoffSay'
  /** An answer that is no line at all: an error text as content. */
  | 'garbage'
  | 'error500'
  /** 429 with Retry-After: `retryAfterSeconds`. */
  | 'rate429'
  | 'auth401'
  /** Headers never come (or, streamed, the stream stops after its first chunk). */
  | 'stall'
  /** 200 with a JSON body cut off half way. */
  | 'truncatedBody';

export interface RecordedRequest {
  path: string;
  body: any;
  headers: IncomingMessage['headers'];
  at: number;
  mode: FakeMode;
  /** Set once the response or its connection closed (a client that gave up closes it). */
  closed?: boolean;
  /** Set once an answer went out: a request closed before that was abandoned by its client. */
  answered?: boolean;
}

export const PROMPT_TOKENS = 100;
export const COMPLETION_TOKENS = 20;

const SAYINGS = [
  'The bread came out of the oven golden today.',
  'Have you seen the gulls over the harbour this morning?',
  'I fixed the town clock, mostly, with a spoon.',
  'Coffee first, gossip second, that is the rule here.',
  'The well hummed again last night, I swear it.',
  'Mind the puddles, the square is a lake after rain.',
];

/** Base of the fake LLM servers: scripting, recording, stalled sockets, 127.0.0.1 on port 0. */
export abstract class FakeLlmServer {
  readonly requests: RecordedRequest[] = [];
  /** Modes for the next requests, in order; then `defaultMode`. */
  script: FakeMode[] = [];
  defaultMode: FakeMode = 'tool';
  /** When set (and the script is empty), modes are taken from here round-robin. */
  cycle: FakeMode[] | null = null;
  retryAfterSeconds = 1;
  /** Time the provider takes before it answers each chat request (a slow but healthy model). */
  latencyMs = 0;
  /** When set, lines are said from here (round-robin) instead of the built-in sayings. */
  sayings: string[] | null = null;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private counter = 0;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.receive(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Requests to the chat endpoint, in arrival order. */
  chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => this.isChat(r.path));
  }

  /** Sockets open right now: a stalled request whose client gave up shows up as none. */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** A line to say, different each time. */
  protected nextLine(): { say: string; emotion: string; action: null; endConversation: boolean } {
    this.counter += 1;
    const sayings = this.sayings ?? SAYINGS;
    return { say: sayings[this.counter % sayings.length], emotion: 'happy', action: null, endConversation: false };
  }

  protected abstract isChat(path: string): boolean;
  protected abstract answer(mode: FakeMode, body: any, req: IncomingMessage, res: ServerResponse): void;

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      body = raw;
    }
    const path = (req.url ?? '').split('?')[0];
    if (!this.isChat(path)) {
      this.requests.push({ path, body, headers: req.headers, at: Date.now(), mode: 'tool' });
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${path}` }));
      return;
    }
    const chats = this.requests.filter((r) => this.isChat(r.path)).length;
    const mode = this.script.shift() ?? (this.cycle ? this.cycle[chats % this.cycle.length] : this.defaultMode);
    const record: RecordedRequest = { path, body, headers: req.headers, at: Date.now(), mode, closed: false };
    this.requests.push(record);
    res.on('close', () => (record.closed = true));
    if (this.latencyMs > 0) {
      await new Promise((r) => setTimeout(r, this.latencyMs));
      if (record.closed) return;
    }
    record.answered = true;
    try {
      this.answer(mode, body, req, res);
    } catch (error) {
      // A bug in the fake must fail loudly, not hang the client.
      console.error('fake LLM server failed:', error);
      res.destroy();
    }
  }

  protected json(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
  }

  protected truncated(res: ServerResponse, payload: unknown): void {
    const text = JSON.stringify(payload);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
    // Half the body, then the connection drops: the client sees cut-off JSON.
    res.write(text.slice(0, Math.floor(text.length / 2)));
    setTimeout(() => res.socket?.destroy(), 5);
  }

  /** Arguments JSON cut after a complete say, or inside it. */
  protected cutJson(line: { say: string }, insideSay: boolean): string {
    return insideSay ? `{"say": "${line.say.slice(0, 12)}` : `{"say": ${JSON.stringify(line.say)}, "emotion": "hap`;
  }
}
