import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { RunnableConfig } from '@langchain/core/runnables';
import { AIMessage, AIMessageChunk, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import {
  EMOTIONS,
  OfflineStorytellerChatModel,
  PIXELTALES_CONTEXT_KEY,
  type StorytellerContext,
  type StorytellerLine,
} from './storyteller.model.js';

const mira: StorytellerContext['speaker'] = {
  id: 'mira',
  name: 'Mira',
  traits: ['cheerful', 'curious'],
  topics: ['the old lighthouse', 'baking bread', 'sea shells'],
  voice: [
    'The sea always brings something back, you know.',
    'Bread is just patience you can eat!',
    'I counted forty gulls this morning!',
  ],
  home: 'the bakery',
  mood: 'calm',
};
const otto: StorytellerContext['speaker'] = {
  id: 'otto',
  name: 'Otto',
  traits: ['grumpy', 'wise'],
  topics: ['fishing', 'the weather', 'old maps'],
  voice: [
    'Hmph. In my day, the nets were heavier.',
    'Storm coming. I can feel it in my knees.',
    'Maps lie less than people.',
  ],
  home: 'his boat',
  mood: 'calm',
};

const lineSchema = z.object({
  say: z.string(),
  emotion: z.enum(EMOTIONS),
  action: z.string().nullable().optional(),
  endConversation: z.boolean(),
});

function ctx(overrides: Partial<StorytellerContext> = {}): StorytellerContext {
  return {
    speaker: mira,
    partner: { id: otto.id, name: otto.name },
    place: 'harbor',
    history: [
      { characterId: 'mira', text: 'Otto! What a lovely surprise!' },
      { characterId: 'otto', text: 'Hmph. Hello, Mira. I was out checking my nets.' },
    ],
    turn: 2,
    maxTurns: 10,
    seed: 'op-1',
    ...overrides,
  };
}

/**
 * The runnable from withStructuredOutput is typed with plain RunnableConfig call options,
 * so `storyteller` needs a cast there (at runtime it is passed through, see the test below).
 */
const storyOptions = (storyteller: StorytellerContext, signal?: AbortSignal): RunnableConfig =>
  ({ storyteller, signal }) as RunnableConfig;

const messages = (): BaseMessage[] => [
  new SystemMessage('You are a character in a pixel town.'),
  new HumanMessage('Say your next line.'),
];

/** Plain invoke: no tools bound, so the line comes back as JSON content. */
async function say(model: OfflineStorytellerChatModel, context: StorytellerContext): Promise<StorytellerLine> {
  const message = await model.invoke(messages(), { storyteller: context });
  return JSON.parse(message.content as string) as StorytellerLine;
}

function expectWellFormed(line: StorytellerLine): void {
  expect(typeof line.say).toBe('string');
  expect(line.say.trim().length).toBeGreaterThan(0);
  expect(line.say.length).toBeLessThan(200);
  expect(EMOTIONS).toContain(line.emotion);
  expect(typeof line.endConversation).toBe('boolean');
}

describe('OfflineStorytellerChatModel', () => {
  afterEach(() => vi.restoreAllMocks());

  it('identifies itself as the offline storyteller', () => {
    const model = new OfflineStorytellerChatModel();
    expect(model._llmType()).toBe('offline');
    expect(model.model).toBe('storyteller');
    expect(new OfflineStorytellerChatModel({ model: 'bard' }).model).toBe('bard');
  });

  it('is deterministic: same context and seed give the same line on fresh instances', async () => {
    for (const turn of [0, 2, 5, 9]) {
      const c = ctx({ turn, seed: `op-${turn}` });
      const a = await say(new OfflineStorytellerChatModel(), c);
      const b = await say(new OfflineStorytellerChatModel(), c);
      expect(b).toEqual(a);
    }
  });

  it('answers a retried call (same seed, same turn) with the same line on the same instance', async () => {
    const model = new OfflineStorytellerChatModel();
    const c = ctx({ seed: 'retry-me' });
    expect(await say(model, c)).toEqual(await say(model, c));
  });

  it('gives variety across seeds, for replies and for opening lines', async () => {
    const replies = new Set<string>();
    const openings = new Set<string>();
    for (let i = 0; i < 30; i++) {
      replies.add((await say(new OfflineStorytellerChatModel(), ctx({ seed: `seed-${i}` }))).say);
      openings.add(
        (await say(new OfflineStorytellerChatModel(), ctx({ seed: `seed-${i}`, turn: 0, history: [] }))).say,
      );
    }
    expect(replies.size).toBeGreaterThanOrEqual(15);
    expect(openings.size).toBeGreaterThanOrEqual(15);
  });

  it('never repeats itself over a 20-turn conversation between two characters', async () => {
    for (const run of ['a', 'b', 'c']) {
      const model = new OfflineStorytellerChatModel();
      const history: StorytellerContext['history'] = [];
      for (let turn = 0; turn < 20; turn++) {
        const speaker = turn % 2 === 0 ? mira : otto;
        const partner = turn % 2 === 0 ? otto : mira;
        const line = await say(
          model,
          ctx({
            speaker,
            partner: { id: partner.id, name: partner.name },
            history: [...history],
            turn,
            maxTurns: 20,
            seed: `conv-${run}-${turn}`,
          }),
        );
        expectWellFormed(line);
        // Never a line already said in this conversation (so no immediate repeats either).
        expect(history.map((h) => h.text)).not.toContain(line.say);
        history.push({ characterId: speaker.id, text: line.say });
      }
      expect(new Set(history.map((h) => h.text)).size).toBe(20);
    }
  });

  it('keeps a per-speaker memory: 12 lines in a row for the same moment are all different', async () => {
    const model = new OfflineStorytellerChatModel();
    const lines = new Set<string>();
    for (let i = 0; i < 12; i++) lines.add((await say(model, ctx({ seed: `mem-${i}` }))).say);
    expect(lines.size).toBe(12);
  });

  it('opens by greeting the partner by name', async () => {
    for (let i = 0; i < 20; i++) {
      const line = await say(new OfflineStorytellerChatModel(), ctx({ turn: 0, history: [], seed: `open-${i}` }));
      expectWellFormed(line);
      expect(line.say).toContain('Otto');
      expect(line.endConversation).toBe(false);
    }
  });

  it("reacts to the partner's last line in at least some cases", async () => {
    const partnerLine = 'I saw a ghost near the old lighthouse last night!';
    let reacted = 0;
    for (let i = 0; i < 20; i++) {
      const line = await say(
        new OfflineStorytellerChatModel(),
        ctx({ history: [...ctx().history, { characterId: 'otto', text: partnerLine }], turn: 3, seed: `react-${i}` }),
      );
      expectWellFormed(line);
      if (/lighthouse|ghost|awful|sorry|hard/i.test(line.say)) reacted++;
    }
    expect(reacted).toBeGreaterThanOrEqual(3);
  });

  it('echoes a salient word of the partner line', async () => {
    const echoes: string[] = [];
    for (let i = 0; i < 30; i++) {
      const line = await say(
        new OfflineStorytellerChatModel(),
        ctx({
          history: [
            ...ctx().history,
            { characterId: 'otto', text: 'The harbourmaster painted the rowboats purple yesterday.' },
          ],
          turn: 3,
          seed: `echo-${i}`,
        }),
      );
      if (/harbourmaster|rowboats/i.test(line.say)) echoes.push(line.say);
    }
    expect(echoes.length).toBeGreaterThan(0);
  });

  it('answers questions: a question line gets curious, a partner question gets an answer', async () => {
    let curious = 0;
    let questions = 0;
    for (let i = 0; i < 30; i++) {
      const line = await say(
        new OfflineStorytellerChatModel(),
        ctx({
          history: [...ctx().history, { characterId: 'otto', text: 'Do you ever bake bread at night?' }],
          turn: 3,
          seed: `q-${i}`,
        }),
      );
      expectWellFormed(line);
      if (line.say.endsWith('?')) {
        questions++;
        if (['curious', 'surprised', 'worried', 'amused', 'annoyed', 'sad'].includes(line.emotion)) curious++;
      }
    }
    expect(curious).toBe(questions);
  });

  it('ends the conversation at the last turn with a goodbye, and not at the start', async () => {
    for (let i = 0; i < 20; i++) {
      const last = await say(new OfflineStorytellerChatModel(), ctx({ turn: 9, maxTurns: 10, seed: `end-${i}` }));
      expectWellFormed(last);
      expect(last.endConversation).toBe(true);
      expect(last.say).toMatch(
        /bye|see you|take care|until next time|later|be well|go gently|off to|back to|heading|have to go|should go|get going|let you go|next time|again soon|stranger|enough chatter|things to do|fans await|miss me/i,
      );
      const beyond = await say(new OfflineStorytellerChatModel(), ctx({ turn: 12, maxTurns: 10, seed: `end-${i}` }));
      expect(beyond.endConversation).toBe(true);
      for (const turn of [0, 1, 2]) {
        expect((await say(new OfflineStorytellerChatModel(), ctx({ turn, seed: `end-${i}` }))).endConversation).toBe(
          false,
        );
      }
    }
  });

  it('ends more often as the conversation goes on', async () => {
    const endRate = async (turn: number): Promise<number> => {
      let ended = 0;
      for (let i = 0; i < 60; i++)
        if (
          (await say(new OfflineStorytellerChatModel(), ctx({ turn, maxTurns: 12, seed: `rate-${i}` }))).endConversation
        )
          ended++;
      return ended;
    };
    const early = await endRate(3);
    const late = await endRate(10);
    expect(late).toBeGreaterThan(early);
  });

  it('says goodbye back when the partner says goodbye', async () => {
    const line = await say(
      new OfflineStorytellerChatModel(),
      ctx({ history: [...ctx().history, { characterId: 'otto', text: "Well, I'm off. Goodbye, Mira." }], turn: 4 }),
    );
    expect(line.endConversation).toBe(true);
    expect(line.say).toContain('Otto');
  });

  it('works through withStructuredOutput(functionCalling, includeRaw) and receives the storyteller call option', async () => {
    const seen: unknown[] = [];
    const original = OfflineStorytellerChatModel.prototype._generate;
    vi.spyOn(OfflineStorytellerChatModel.prototype, '_generate').mockImplementation(async function (
      this: OfflineStorytellerChatModel,
      msgs,
      options,
      runManager,
    ) {
      seen.push({ storyteller: options.storyteller, tools: options.tools });
      return original.call(this, msgs, options, runManager);
    });

    const c = ctx({ seed: 'structured' });
    const model = new OfflineStorytellerChatModel();
    const structured = model.withStructuredOutput(lineSchema, {
      name: 'say_line',
      method: 'functionCalling',
      includeRaw: true,
    });
    const controller = new AbortController();
    const result = await structured.invoke(messages(), storyOptions(c, controller.signal));

    // The custom option reached _generate untouched, next to the tools from bindTools.
    expect(seen).toHaveLength(1);
    expect((seen[0] as { storyteller: unknown }).storyteller).toEqual(c);
    expect(JSON.stringify((seen[0] as { tools: unknown }).tools)).toContain('say_line');

    expect(result.parsed).not.toBeNull();
    const parsed = lineSchema.parse(result.parsed);
    expect(EMOTIONS).toContain(parsed.emotion);
    expect(typeof parsed.endConversation).toBe('boolean');
    // Same line as the plain path for the same context: the context was really used.
    vi.restoreAllMocks();
    const direct = await say(new OfflineStorytellerChatModel(), c);
    expect(parsed.say).toBe(direct.say);
    expect(parsed.emotion).toBe(direct.emotion);

    const raw = result.raw as AIMessageChunk;
    expect(AIMessage.isInstance(raw)).toBe(true);
    expect(raw.tool_calls).toHaveLength(1);
    expect(raw.tool_calls?.[0]).toMatchObject({ name: 'say_line', type: 'tool_call', args: parsed });
    expect(raw.tool_calls?.[0].id).toBeTruthy();
    expect(raw.usage_metadata).toBeDefined();
    expect(raw.usage_metadata!.input_tokens).toBeGreaterThan(0);
    expect(raw.usage_metadata!.output_tokens).toBeGreaterThan(0);
    expect(raw.usage_metadata!.total_tokens).toBe(raw.usage_metadata!.input_tokens + raw.usage_metadata!.output_tokens);
    expect(raw.response_metadata.model_name).toBe('offline:storyteller');
  });

  it('estimates input tokens as ceil(chars / 4) over the input messages', async () => {
    const input = [new HumanMessage('x'.repeat(41))];
    const message = await new OfflineStorytellerChatModel().invoke(input, { storyteller: ctx() });
    expect(message.usage_metadata?.input_tokens).toBe(11);
    expect(message.usage_metadata?.output_tokens).toBe(Math.ceil((message.content as string).length / 4));
  });

  it('keeps only the keys the tool schema declares', async () => {
    const slim = z.object({ say: z.string(), emotion: z.enum(EMOTIONS), endConversation: z.boolean() }).strict();
    const structured = new OfflineStorytellerChatModel().withStructuredOutput(slim, {
      name: 'say_line',
      method: 'functionCalling',
    });
    for (let i = 0; i < 10; i++) {
      const out = await structured.invoke(messages(), storyOptions(ctx({ turn: 0, history: [], seed: `slim-${i}` })));
      expect(Object.keys(out).sort()).toEqual(['emotion', 'endConversation', 'say']);
    }
  });

  it('plain invoke returns the line as JSON content with no tool calls', async () => {
    const message = await new OfflineStorytellerChatModel().invoke(messages(), {
      storyteller: ctx(),
    });
    expect(message.tool_calls ?? []).toHaveLength(0);
    const line = JSON.parse(message.content as string) as StorytellerLine;
    expectWellFormed(line);
    expect(message.response_metadata.model_name).toBe('offline:storyteller');
    expect(message.usage_metadata?.total_tokens).toBeGreaterThan(0);
  });

  it('also takes the context from model.withConfig and from message additional_kwargs', async () => {
    const c = ctx({ seed: 'other-paths' });
    const expected = await say(new OfflineStorytellerChatModel(), c);

    const bound = new OfflineStorytellerChatModel().withConfig({ storyteller: c });
    const viaConfig = JSON.parse((await bound.invoke(messages())).content as string) as StorytellerLine;
    expect(viaConfig).toEqual(expected);

    const carrier = new HumanMessage({
      content: 'Say your next line.',
      additional_kwargs: { [PIXELTALES_CONTEXT_KEY]: c },
    });
    const viaMessage = JSON.parse(
      (await new OfflineStorytellerChatModel().invoke([carrier])).content as string,
    ) as StorytellerLine;
    expect(viaMessage).toEqual(expected);
  });

  it('rejects when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const model = new OfflineStorytellerChatModel();
    await expect(model.invoke(messages(), { storyteller: ctx(), signal: controller.signal })).rejects.toThrow(/abort/i);
    const structured = model.withStructuredOutput(lineSchema, {
      name: 'say_line',
      method: 'functionCalling',
      includeRaw: true,
    });
    await expect(structured.invoke(messages(), storyOptions(ctx(), controller.signal))).rejects.toThrow(/abort/i);
  });

  it('rejects with the abort reason when one is given', async () => {
    const controller = new AbortController();
    controller.abort(new Error('scene paused'));
    await expect(
      new OfflineStorytellerChatModel().invoke(messages(), { storyteller: ctx(), signal: controller.signal }),
    ).rejects.toThrow('scene paused');
  });

  it('still answers sensibly without any context', async () => {
    const model = new OfflineStorytellerChatModel();
    const line = JSON.parse(
      (await model.invoke([new HumanMessage('Tell me about the lighthouse keeper.')])).content as string,
    ) as StorytellerLine;
    expectWellFormed(line);
    expect(line.say.toLowerCase()).toContain('lighthouse');

    const empty = JSON.parse((await model.invoke([new HumanMessage('')])).content as string) as StorytellerLine;
    expectWellFormed(empty);

    const structured = model.withStructuredOutput(lineSchema, {
      name: 'say_line',
      method: 'functionCalling',
      includeRaw: true,
    });
    const result = await structured.invoke([new HumanMessage('What do you think of the weather?')]);
    expect(result.parsed).not.toBeNull();
    expectWellFormed(result.parsed as StorytellerLine);
  });

  it('copes with a bare character (no traits, topics, voice, place or home)', async () => {
    const bare = { id: 'b', name: 'Bea', traits: [], topics: [], voice: [], home: null, mood: 'calm' };
    const model = new OfflineStorytellerChatModel();
    const history: StorytellerContext['history'] = [];
    for (let turn = 0; turn < 10; turn++) {
      const speaker = turn % 2 === 0 ? bare : { ...bare, id: 'c', name: 'Cal' };
      const partner = turn % 2 === 0 ? { id: 'c', name: 'Cal' } : { id: 'b', name: 'Bea' };
      const line = await say(model, {
        speaker,
        partner,
        place: null,
        history: [...history],
        turn,
        maxTurns: 10,
        seed: `bare-${turn}`,
      });
      expectWellFormed(line);
      expect(history.map((h) => h.text)).not.toContain(line.say);
      history.push({ characterId: speaker.id, text: line.say });
    }
  });

  it('stays within 200 characters and valid emotions across many contexts', async () => {
    const longVoice = {
      ...otto,
      voice: ['A'.repeat(30) + ' ' + 'very long sentence that keeps going and going '.repeat(6) + 'until the end.'],
      place: null,
    };
    const model = new OfflineStorytellerChatModel();
    for (let i = 0; i < 200; i++) {
      const speaker = i % 3 === 0 ? longVoice : i % 2 ? mira : otto;
      const line = await say(
        model,
        ctx({ speaker, turn: i % 10, maxTurns: 10, seed: `many-${i}`, place: i % 4 ? 'the market square' : null }),
      );
      expectWellFormed(line);
    }
  });

  it('draws randomness only from its seeded PRNG (no Math.random, no clock)', () => {
    const source = readFileSync(fileURLToPath(new URL('./storyteller.model.ts', import.meta.url)), 'utf8');
    expect(source).not.toMatch(/Math\.random\s*\(|Date\.now\s*\(|new Date\s*\(|performance\.now\s*\(/);
  });
});
