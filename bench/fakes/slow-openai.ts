/**
 * A fake OpenAI-compatible server for the latency bench: POST /v1/chat/completions answers,
 * after BENCH_FAKE_DELAY_MS (2 s), with a `say_line` tool call {say, emotion,
 * endConversation}. Lines come from a fixed list of varied lengths, in turn. Listens on
 * 127.0.0.1:0 and sends {type: 'ready', port} over IPC (or prints the port).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const DELAY_MS = Number(process.env.BENCH_FAKE_DELAY_MS ?? 2_000);
/** Bounded: a request body larger than this is refused. */
const MAX_BODY_BYTES = 1024 * 1024;

export const FAKE_LINES = [
  'Good morning! The bread smells wonderful today.',
  'Have you heard? The mayor bought a new hat, and it has a feather the size of a goose.',
  'Hmm.',
  'I once sailed past an island where the gulls could count, or so the cook swore on his mother.',
  'The café is quiet this morning; even the cat has gone back to sleep under the piano.',
  'Right, I should be going, the oven will not mind itself.',
  'Well now, that is a story I would like to hear again over a proper cup of coffee and a slice of cake.',
  'Indeed!',
];

let counter = 0;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// Every failure is answered inside the handler, so its promise never rejects.
const server = createServer((req, res) => void answer(req, res));

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    const body = JSON.parse(await readBody(req)) as { model?: string; messages?: { content?: unknown }[] };
    const promptChars = JSON.stringify(body.messages ?? []).length;
    const say = FAKE_LINES[counter++ % FAKE_LINES.length];
    const args = JSON.stringify({ say, emotion: 'happy', endConversation: false });
    const timer = setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-${counter}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model ?? 'fake',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  { id: `call_${counter}`, type: 'function', function: { name: 'say_line', arguments: args } },
                ],
              },
              finish_reason: 'tool_calls',
            },
          ],
          usage: {
            prompt_tokens: Math.ceil(promptChars / 4),
            completion_tokens: Math.ceil(args.length / 4),
            total_tokens: Math.ceil((promptChars + args.length) / 4),
          },
        }),
      );
    }, DELAY_MS);
    // A caller that gives up (abort) frees the timer.
    res.on('close', () => clearTimeout(timer));
  } catch (error) {
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { message: (error as Error).message } }));
  }
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  if (process.send) process.send({ type: 'ready', port });
  else process.stdout.write(`${port}\n`);
});
process.on('disconnect', () => process.exit(0));
