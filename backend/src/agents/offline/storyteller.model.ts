/**
 * OfflineStorytellerChatModel: a LangChain chat model that needs no network.
 *
 * It is the default model of the app (`LLM_MODEL=offline:storyteller`). Instead of
 * asking a provider, it writes short in-character lines from the speaker's `voice`
 * sample lines, `topics`, `traits` and the partner's last line: greetings at the
 * start, reactions to what was just said (echoing a salient word, agreeing or
 * grumbling according to traits), topic changes, voice lines woven in and a
 * goodbye at the end. All randomness comes from a seeded PRNG (seed + speaker id +
 * turn), so the same context gives the same line on a fresh instance.
 *
 * How the context reaches `_generate`
 * ------------------------------------
 * The app calls
 *   model.withStructuredOutput(schema, { name: 'say_line', method: 'functionCalling', includeRaw: true })
 *        .invoke(messages, { storyteller: ctx, signal })
 * which is the same path as for ChatOpenAI. Verified with @langchain/core 1.4.0 (see
 * storyteller.model.spec.ts): the runnables in that pipeline (RunnableSequence,
 * RunnableMap, RunnableBinding from `bindTools`) pass the whole call config down,
 * and BaseChatModel only moves the RunnableConfig keys (callbacks, tags, signal...)
 * out of it, so the custom call option `storyteller` arrives in `_generate` as
 * `options.storyteller`, next to `options.tools` from `bindTools`. That is the
 * primary path. Options bound with `model.withConfig({ storyteller })` arrive the
 * same way. As a fallback (e.g. a caller that cannot pass call options) the context
 * may ride on any input message as `additional_kwargs.pixeltales_context`.
 *
 * One catch on that path: the base `withStructuredOutput` parser only accepts an
 * `AIMessageChunk` (`AIMessageChunk.isInstance`), and with `includeRaw: true` a
 * plain `AIMessage` silently yields `parsed: null`. So `_generate` answers with an
 * `AIMessageChunk` (which is still an AIMessage for `AIMessage.isInstance`).
 */
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BaseChatModelParams,
  type BindToolsInput,
} from '@langchain/core/language_models/chat_models';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import { AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { Rng, hashString } from '../../simulation/rng.js';

export const EMOTIONS = [
  'happy',
  'excited',
  'curious',
  'thoughtful',
  'amused',
  'calm',
  'worried',
  'sad',
  'annoyed',
  'surprised',
] as const;
export type Emotion = (typeof EMOTIONS)[number];

export interface StorytellerContext {
  speaker: {
    id: string;
    name: string;
    traits: string[];
    topics: string[];
    voice: string[];
    home?: string | null;
    mood: string;
  };
  partner: { id: string; name: string };
  place: string | null;
  /** This conversation so far, oldest first; the last entry is usually the partner's line. */
  history: { characterId: string; text: string }[];
  /** Lines already said in this conversation (0 = opening line). */
  turn: number;
  /** The conversation will be cut after this many lines. */
  maxTurns: number;
  /** E.g. the operation id; same seed + same context => same line. */
  seed: string;
}

export interface StorytellerCallOptions extends BaseChatModelCallOptions {
  storyteller?: StorytellerContext;
  /** Set by `bindTools` (and so by `withStructuredOutput`). */
  tools?: BindToolsInput[];
}

/** What the model "says": the arguments of the `say_line` tool call. */
export interface StorytellerLine {
  say: string;
  emotion: Emotion;
  action?: string;
  endConversation: boolean;
}

/** Key under which a message's `additional_kwargs` may carry the context (fallback path). */
export const PIXELTALES_CONTEXT_KEY = 'pixeltales_context';

const MAX_CHARS = 199;
const MEMORY_PER_SPEAKER = 12;
const MAX_SPEAKERS = 500;
const MAX_CACHED_LINES = 256;

export class OfflineStorytellerChatModel extends BaseChatModel<StorytellerCallOptions> {
  model = 'storyteller';

  /** Last lines (normalised) said per speaker id, newest last. */
  private readonly memory = new Map<string, string[]>();
  /** Lines already written per (seed, speaker, turn), so a retried call answers the same. */
  private readonly written = new Map<string, StorytellerLine>();

  static override lc_name(): string {
    return 'OfflineStorytellerChatModel';
  }

  constructor(fields: { model?: string } & BaseChatModelParams = {}) {
    super(fields);
    if (fields.model) this.model = fields.model;
  }

  _llmType(): string {
    return 'offline';
  }

  override get callKeys(): string[] {
    return [...super.callKeys, 'storyteller', 'tools', 'tool_choice'];
  }

  override invocationParams(_options?: this['ParsedCallOptions']): Record<string, unknown> {
    return { model: this.model };
  }

  override bindTools(
    tools: BindToolsInput[],
    kwargs?: Partial<StorytellerCallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, StorytellerCallOptions> {
    // A RunnableBinding: its config is merged into every call's options, so `tools`
    // shows up in `_generate` next to the caller's `storyteller` option.
    return this.withConfig({ ...kwargs, tools });
  }

  // LangChain's contract is async; this model answers synchronously.
  // eslint-disable-next-line @typescript-eslint/require-await
  async _generate(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    throwIfAborted(options.signal);
    const ctx = findContext(options, messages);
    const line = ctx ? this.lineFor(ctx) : genericLine(messages);
    throwIfAborted(options.signal);

    const tool = pickTool(options.tools, options.tool_choice);
    const args = toArgs(line, tool?.properties ?? null);
    const content = tool ? '' : JSON.stringify(args);
    const outputChars = tool ? tool.name.length + JSON.stringify(args).length : content.length;
    const inputTokens = Math.ceil(messages.reduce((n, m) => n + messageChars(m), 0) / 4);
    const outputTokens = Math.ceil(outputChars / 4);
    const usage = { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
    const callId = `call_${hashString(`${ctx?.seed ?? ''}|${ctx?.speaker.id ?? ''}|${line.say}`).toString(36)}`;

    const message = new AIMessageChunk({
      content,
      tool_calls: tool ? [{ name: tool.name, args, id: callId, type: 'tool_call' }] : [],
      usage_metadata: usage,
      response_metadata: { model_name: `offline:${this.model}` },
    });
    return {
      generations: [{ text: content, message }],
      llmOutput: {
        tokenUsage: { promptTokens: inputTokens, completionTokens: outputTokens, totalTokens: usage.total_tokens },
      },
    };
  }

  /** Writes (or recalls) the line for one context, avoiding this speaker's recent lines. */
  private lineFor(raw: StorytellerContext): StorytellerLine {
    const ctx = normaliseContext(raw);
    const key = `${ctx.seed}|${ctx.speaker.id}|${ctx.turn}|${ctx.history.length}`;
    const cached = this.written.get(key);
    if (cached) return { ...cached };

    const recent = this.memory.get(ctx.speaker.id) ?? [];
    const line = writeLine(ctx, recent);

    remember(this.written, key, line, MAX_CACHED_LINES);
    this.memory.delete(ctx.speaker.id); // re-insert: Map order doubles as LRU order
    this.memory.set(ctx.speaker.id, [...recent, normalise(line.say)].slice(-MEMORY_PER_SPEAKER));
    if (this.memory.size > MAX_SPEAKERS) this.memory.delete(this.memory.keys().next().value as string);
    return { ...line };
  }
}

// ---------------------------------------------------------------------------
// Plumbing
// ---------------------------------------------------------------------------

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  if (reason instanceof Error) throw reason;
  const error = new Error(typeof reason === 'string' ? reason : 'Aborted');
  error.name = 'AbortError';
  throw error;
}

function findContext(
  options: { storyteller?: StorytellerContext },
  messages: BaseMessage[],
): StorytellerContext | null {
  if (isContext(options.storyteller)) return options.storyteller;
  for (let i = messages.length - 1; i >= 0; i--) {
    const candidate = messages[i]?.additional_kwargs?.[PIXELTALES_CONTEXT_KEY];
    if (isContext(candidate)) return candidate;
  }
  return null;
}

function isContext(value: unknown): value is StorytellerContext {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<StorytellerContext>;
  return typeof v.speaker === 'object' && v.speaker !== null && typeof v.partner === 'object' && v.partner !== null;
}

function normaliseContext(ctx: StorytellerContext): StorytellerContext {
  const strings = (list: unknown): string[] =>
    Array.isArray(list)
      ? list.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim())
      : [];
  const s = ctx.speaker;
  return {
    speaker: {
      id: String(s.id ?? 'speaker'),
      name: String(s.name ?? 'Someone'),
      traits: strings(s.traits),
      topics: strings(s.topics),
      voice: strings(s.voice),
      home: typeof s.home === 'string' && s.home.trim() ? s.home.trim() : null,
      mood: typeof s.mood === 'string' ? s.mood : 'calm',
    },
    partner: { id: String(ctx.partner.id ?? 'partner'), name: String(ctx.partner.name || 'friend') },
    place: typeof ctx.place === 'string' && ctx.place.trim() ? ctx.place.trim() : null,
    history: Array.isArray(ctx.history)
      ? ctx.history
          .filter((h) => h && typeof h.text === 'string')
          .map((h) => ({ characterId: String(h.characterId), text: h.text }))
      : [],
    turn: Number.isFinite(ctx.turn) ? Math.max(0, Math.floor(ctx.turn)) : 0,
    maxTurns: Number.isFinite(ctx.maxTurns) ? Math.max(1, Math.floor(ctx.maxTurns)) : 8,
    seed: String(ctx.seed ?? ''),
  };
}

interface ToolTarget {
  name: string;
  properties: string[] | null;
}

/** The tool to "call": the one named by tool_choice, else one called say_line, else the first. */
function pickTool(tools: BindToolsInput[] | undefined, toolChoice: unknown): ToolTarget | null {
  if (!Array.isArray(tools) || tools.length === 0) return null;
  const targets = tools.map(describeTool).filter((t): t is ToolTarget => t !== null);
  if (targets.length === 0) return null;
  const chosen =
    typeof toolChoice === 'string'
      ? toolChoice
      : ((toolChoice as { function?: { name?: string }; name?: string } | undefined)?.function?.name ??
        (toolChoice as { name?: string } | undefined)?.name);
  return targets.find((t) => t.name === chosen) ?? targets.find((t) => t.name === 'say_line') ?? targets[0];
}

function describeTool(tool: BindToolsInput): ToolTarget | null {
  // OpenAI-style `{type: 'function', function: {name, parameters}}` or a bare `{name, parameters}`.
  type ToolShape = { name?: unknown; parameters?: unknown };
  const t = tool as (ToolShape & { function?: ToolShape }) | null;
  const name = t?.function?.name ?? t?.name;
  if (typeof name !== 'string' || !name) return null;
  const params = (t?.function?.parameters ?? t?.parameters) as { properties?: unknown } | null | undefined;
  const props =
    params && typeof params === 'object' && params.properties && typeof params.properties === 'object'
      ? Object.keys(params.properties)
      : null;
  return { name, properties: props };
}

/** The tool-call arguments, limited to the schema's properties when the schema lists them. */
function toArgs(line: StorytellerLine, properties: string[] | null): Record<string, unknown> {
  const all: Record<string, unknown> = { say: line.say, emotion: line.emotion };
  if (line.action) all.action = line.action;
  all.endConversation = line.endConversation;
  if (!properties || !properties.includes('say')) return all;
  return Object.fromEntries(Object.entries(all).filter(([k]) => properties.includes(k)));
}

function messageChars(message: BaseMessage): number {
  const content = message.content;
  if (typeof content === 'string') return content.length;
  try {
    return JSON.stringify(content ?? '').length;
  } catch {
    return 0;
  }
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

// ---------------------------------------------------------------------------
// Seeded randomness: the simulation core's Rng (mulberry32) and FNV-1a; never Math.random, never Date.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Character temperament
// ---------------------------------------------------------------------------

type Temper = 'cheerful' | 'grumpy' | 'curious' | 'calm' | 'nervous' | 'playful' | 'neutral';
const TEMPERS: readonly Exclude<Temper, 'neutral'>[] = ['cheerful', 'grumpy', 'curious', 'calm', 'nervous', 'playful'];

const TRAIT_WORDS: Record<Exclude<Temper, 'neutral'>, readonly string[]> = {
  cheerful: [
    'cheer',
    'friend',
    'kind',
    'warm',
    'optimis',
    'happy',
    'enthusias',
    'bubbly',
    'sunny',
    'generous',
    'caring',
    'sweet',
    'energetic',
    'outgoing',
    'romantic',
    'loyal',
    'brave',
    'bold',
    'hopeful',
    'jolly',
    'helpful',
    'social',
  ],
  grumpy: [
    'grump',
    'cynic',
    'sarcas',
    'gloom',
    'pessimis',
    'stubborn',
    'cranky',
    'irritab',
    'blunt',
    'proud',
    'arrogan',
    'bitter',
    'rude',
    'impatien',
    'stern',
    'gruff',
    'suspicious',
    'vain',
    'grouch',
    'moody',
    'strict',
    'snob',
  ],
  curious: [
    'curious',
    'inquisitive',
    'nosy',
    'adventur',
    'bookish',
    'clever',
    'scholar',
    'studious',
    'invent',
    'smart',
    'observant',
    'gossip',
    'talkative',
    'chatty',
    'explor',
    'scien',
    'nerd',
  ],
  calm: [
    'calm',
    'wise',
    'patient',
    'thoughtful',
    'dream',
    'gentle',
    'quiet',
    'serene',
    'stoic',
    'philosoph',
    'mysterious',
    'reserved',
    'polite',
    'sleepy',
    'lazy',
    'relaxed',
    'spiritual',
    'old',
  ],
  nervous: [
    'shy',
    'nervous',
    'anxious',
    'timid',
    'worr',
    'jumpy',
    'cautious',
    'superstitio',
    'clumsy',
    'awkward',
    'insecure',
    'paranoi',
    'scared',
    'fearful',
  ],
  playful: [
    'funny',
    'witty',
    'jok',
    'mischiev',
    'playful',
    'silly',
    'cheeky',
    'goofy',
    'prank',
    'dramatic',
    'flirt',
    'theatric',
    'humor',
    'humour',
    'whimsical',
    'eccentric',
  ],
};

const MOOD_TEMPER: Record<string, Exclude<Temper, 'neutral'>> = {
  happy: 'cheerful',
  excited: 'cheerful',
  curious: 'curious',
  thoughtful: 'calm',
  calm: 'calm',
  amused: 'playful',
  worried: 'nervous',
  sad: 'nervous',
  annoyed: 'grumpy',
};

type Profile = Record<Temper, number>;

function profileOf(traits: string[], mood: string): Profile {
  const profile: Profile = { cheerful: 0, grumpy: 0, curious: 0, calm: 0, nervous: 0, playful: 0, neutral: 1 };
  for (const trait of traits) {
    const t = trait.toLowerCase();
    for (const temper of TEMPERS) {
      if (TRAIT_WORDS[temper].some((w) => t.includes(w))) profile[temper] += 3;
    }
  }
  const moodTemper = MOOD_TEMPER[mood.toLowerCase()];
  if (moodTemper) profile[moodTemper] += 0.75;
  return profile;
}

function rollTemper(rng: Rng, profile: Profile): Temper {
  return rng.weighted(Object.entries(profile) as [Temper, number][]);
}

function dominantTemper(profile: Profile): Temper {
  let best: Temper = 'neutral';
  for (const temper of TEMPERS) if (profile[temper] > profile[best]) best = temper;
  return best;
}

const TEMPER_EMOTION: Record<Temper, readonly Emotion[]> = {
  cheerful: ['happy', 'excited'],
  grumpy: ['annoyed'],
  curious: ['curious'],
  calm: ['calm', 'thoughtful'],
  nervous: ['worried'],
  playful: ['amused'],
  neutral: ['happy', 'calm', 'thoughtful'],
};

// ---------------------------------------------------------------------------
// Phrase banks. Placeholders: {P} partner, {T} topic, {X} echoed phrase,
// {H} home, {L} place. Each entry carries the emotion it reads with.
// ---------------------------------------------------------------------------

type Tpl = readonly [text: string, emotion: Emotion];
type Bank = Record<Temper, readonly Tpl[]>;

const GREET: Bank = {
  neutral: [
    ['Hello, {P}!', 'happy'],
    ['Hi there, {P}.', 'calm'],
    ['Oh, hey {P}!', 'happy'],
    ['Good to see you, {P}.', 'happy'],
    ['{P}! Fancy meeting you here.', 'surprised'],
  ],
  cheerful: [
    ['{P}! What a lovely surprise!', 'excited'],
    ['Hello, hello, {P}!', 'happy'],
    ["There you are, {P}! I was hoping I'd run into you.", 'happy'],
    ["{P}! Oh, it's so good to see you!", 'excited'],
  ],
  grumpy: [
    ["Oh. It's you, {P}.", 'annoyed'],
    ['{P}. Hello, I suppose.', 'annoyed'],
    ["Well, if it isn't {P}.", 'annoyed'],
    ['Hello, {P}. Make it quick.', 'annoyed'],
  ],
  calm: [
    ['Ah, {P}. Good to see you.', 'calm'],
    ['Hello, {P}. Nice to see a friendly face.', 'calm'],
    ['Well met, {P}.', 'calm'],
  ],
  nervous: [
    ['Oh! H-hi, {P}.', 'surprised'],
    ['Oh, hello {P}... you startled me.', 'surprised'],
    ['Um, hi, {P}!', 'worried'],
  ],
  playful: [
    ["Well, well, well. If it isn't {P}!", 'amused'],
    ['{P}! Just the person I was hoping to bump into.', 'amused'],
    ['Look who it is! {P}, in the flesh.', 'amused'],
  ],
  curious: [
    ['{P}! Just who I wanted to see.', 'excited'],
    ['Hey {P}! Got any news?', 'curious'],
    ['{P}! Where have you been hiding?', 'curious'],
  ],
};

const GREET_PLACE: Bank = {
  neutral: [
    ["Lovely day at {L}, isn't it?", 'happy'],
    ["I didn't expect to find you at {L}.", 'surprised'],
    ['I always end up at {L} somehow.', 'amused'],
  ],
  cheerful: [
    ["Isn't {L} just lovely today?", 'happy'],
    ['{L} is even nicer with company!', 'happy'],
  ],
  grumpy: [
    ['Too crowded at {L} today.', 'annoyed'],
    ['{L} again. Of course.', 'annoyed'],
  ],
  calm: [
    ['{L} is peaceful at this hour.', 'calm'],
    ['I like the quiet here at {L}.', 'calm'],
  ],
  nervous: [
    ["I don't usually come to {L}.", 'worried'],
    ['Is it just me, or is {L} extra busy today?', 'worried'],
  ],
  playful: [
    ['Come here often? To {L}, I mean.', 'amused'],
    ['{L} just got a lot more interesting.', 'amused'],
  ],
  curious: [
    ['What brings you to {L}?', 'curious'],
    ['Anything exciting happening at {L}?', 'curious'],
  ],
};

const GREET_FOLLOW: readonly Tpl[] = [
  ['How have you been?', 'curious'],
  ['What are you up to?', 'curious'],
  ["How's your day going?", 'curious'],
  ["It's been a while!", 'happy'],
  ['What brings you out here?', 'curious'],
];

const OPENER_TOPIC: readonly Tpl[] = [
  ['I was just thinking about {T}.', 'thoughtful'],
  ["Got a minute? I've been dying to talk about {T}.", 'excited'],
  ['Any news about {T}?', 'curious'],
  ["You'll never guess what I've been up to. {T}!", 'excited'],
];

const REPLY_GREET: Bank = {
  neutral: [
    ['Hi, {P}!', 'happy'],
    ['Hello to you too, {P}.', 'happy'],
    ['Hey, {P}. Good to see you.', 'happy'],
  ],
  cheerful: [
    ['{P}! Hello!', 'excited'],
    ['Oh, hi {P}! You just made my day.', 'happy'],
    ['Hello, {P}! What a treat.', 'happy'],
  ],
  grumpy: [
    ['Hmph. Hello, {P}.', 'annoyed'],
    ['Yes, yes, hello, {P}.', 'annoyed'],
    ['{P}. I was hoping for a quiet walk.', 'annoyed'],
  ],
  calm: [
    ['Hello, {P}. Always a pleasure.', 'calm'],
    ['Good to see you too, {P}.', 'calm'],
  ],
  nervous: [
    ['Oh! Hi, {P}! Sorry, I was miles away.', 'surprised'],
    ['H-hello, {P}.', 'worried'],
  ],
  playful: [
    ['{P}! You found me. Curses.', 'amused'],
    ['Ah, {P}, my favorite distraction!', 'amused'],
  ],
  curious: [
    ['Hi, {P}! Just the person I wanted to see.', 'excited'],
    ["Hello, {P}! What's new?", 'curious'],
  ],
};

const HOW_ARE_YOU: Bank = {
  neutral: [
    ["I'm doing well, thanks.", 'happy'],
    ['Not bad at all, thanks for asking.', 'calm'],
    ["Can't complain!", 'happy'],
  ],
  cheerful: [
    ['Wonderful, thank you!', 'happy'],
    ['Never better!', 'excited'],
    ["I'm great, thanks for asking!", 'happy'],
  ],
  grumpy: [
    ['Could be worse. Could be better.', 'annoyed'],
    ['My knees ache, if you must know.', 'annoyed'],
    ["Don't ask.", 'annoyed'],
  ],
  calm: [
    ['Peaceful, thank you.', 'calm'],
    ['Well enough. The days are kind.', 'calm'],
  ],
  nervous: [
    ['Oh, um, fine, I think!', 'worried'],
    ['A little frazzled, honestly.', 'worried'],
  ],
  playful: [
    ['Fabulous, as always.', 'amused'],
    ['Better now that I have an audience!', 'amused'],
  ],
  curious: [
    ['Busy! My head is full of questions.', 'excited'],
    ['Good! Restless, but good.', 'happy'],
  ],
};

const YES_NO: Bank = {
  neutral: [
    ['I think so, yes.', 'calm'],
    ['Not really, no.', 'calm'],
    ['Sometimes, I suppose.', 'thoughtful'],
    ['Hard to say.', 'thoughtful'],
  ],
  cheerful: [
    ['Oh, absolutely!', 'excited'],
    ['Yes, of course!', 'happy'],
    ["I'd love to think so!", 'happy'],
  ],
  grumpy: [
    ['No.', 'annoyed'],
    ['Hmph. Not likely.', 'annoyed'],
    ['Why would I?', 'annoyed'],
    ['Obviously.', 'annoyed'],
  ],
  calm: [
    ["Perhaps. It's hard to say.", 'thoughtful'],
    ['In a way, yes.', 'calm'],
    ['I believe so.', 'calm'],
  ],
  nervous: [
    ['I... I think so?', 'worried'],
    ['Oh, um, maybe?', 'worried'],
    ["I'd rather not say.", 'worried'],
  ],
  playful: [
    ['Only on Tuesdays.', 'amused'],
    ['Is that a trick question?', 'amused'],
    ['Yes. No. Maybe!', 'amused'],
  ],
  curious: [
    ['Maybe! Why do you ask?', 'curious'],
    ["I've wondered that myself.", 'thoughtful'],
    ['Good question. Yes, I think!', 'happy'],
  ],
};

/** Yes/no questions about one of the speaker's own topics. */
const TOPIC_YES: Bank = {
  neutral: [
    ['Oh, all the time!', 'happy'],
    ['Whenever I can, yes.', 'happy'],
  ],
  cheerful: [
    ['Yes! Every chance I get!', 'excited'],
    ['Oh, I adore it!', 'excited'],
  ],
  grumpy: [
    ['Does a fish swim? Of course.', 'annoyed'],
    ['Every chance I get. Not that anyone asks.', 'annoyed'],
  ],
  calm: [
    ['Often, yes. It settles the mind.', 'calm'],
    ['I do. It is one of my small joys.', 'calm'],
  ],
  nervous: [
    ['Oh! Um, yes, actually. Quite a lot.', 'surprised'],
    ['I do! Is that weird?', 'worried'],
  ],
  playful: [
    ['Is the sky blue? Yes!', 'amused'],
    ['Only every single day. Why, is that a lot?', 'amused'],
  ],
  curious: [
    ['Yes! And I still learn something new every time.', 'excited'],
    ['I do! How did you know?', 'surprised'],
  ],
};

const WH_ANSWER: Bank = {
  neutral: [
    ['Good question.', 'thoughtful'],
    ['Hmm, let me think.', 'thoughtful'],
    ['Honestly?', 'thoughtful'],
    ["Well, it's a long story.", 'amused'],
  ],
  cheerful: [
    ['Oh, where do I even start?', 'excited'],
    ['Ooh, good question!', 'happy'],
  ],
  grumpy: [
    ['Why does everyone ask me that?', 'annoyed'],
    ['Hmph. If you must know.', 'annoyed'],
  ],
  calm: [
    ['Ah. That deserves a careful answer.', 'thoughtful'],
    ['Let me think.', 'thoughtful'],
  ],
  nervous: [
    ["Oh, um, I'm not sure I know.", 'worried'],
    ["That's a hard one.", 'worried'],
  ],
  playful: [
    ["That's classified.", 'amused'],
    ["I'll tell you, but you won't believe me.", 'amused'],
  ],
  curious: [
    ['Funny, I was going to ask you that!', 'surprised'],
    ["I'm still figuring that out.", 'thoughtful'],
  ],
};

const ECHO: Bank = {
  neutral: [
    ['{X}? Tell me more.', 'curious'],
    ["{X}? Now that's interesting.", 'surprised'],
    ['{X}? I had no idea.', 'surprised'],
    ['{X}? Really?', 'surprised'],
    ['Wait, {X}? Go on.', 'curious'],
  ],
  cheerful: [
    ['{X}? Oh, I love that!', 'excited'],
    ['{X}! How wonderful.', 'happy'],
    ['Oh, {X}! That sounds lovely.', 'happy'],
  ],
  grumpy: [
    ['{X}? Hmph.', 'annoyed'],
    ['{X}? Spare me.', 'annoyed'],
    ['{X}. Overrated, if you ask me.', 'annoyed'],
    ['Bah. {X}.', 'annoyed'],
  ],
  calm: [
    ["Ah, {X}. There's a lot to think about there.", 'thoughtful'],
    ["{X}... Yes, I've wondered about that too.", 'thoughtful'],
    ['Hm, {X}. I see.', 'calm'],
  ],
  nervous: [
    ['{X}? Oh dear, is that safe?', 'worried'],
    ['W-wait, {X}? Really?', 'surprised'],
    ['{X}? That makes me a little nervous.', 'worried'],
  ],
  playful: [
    ['{X}? Ha! Only you, {P}.', 'amused'],
    ["{X}! Now we're talking.", 'amused'],
    ['{X}? I knew it!', 'amused'],
  ],
  curious: [
    ['{X}? What about it?', 'curious'],
    ['Wait, {X}? How does that work?', 'curious'],
    ['{X}? Tell me everything.', 'curious'],
  ],
};

const ECHO_SAD: readonly Tpl[] = [
  ['{X}? Oh no, that sounds awful.', 'worried'],
  ['{X}? That must have been hard.', 'sad'],
  ["{X}? Oh, {P}, I'm sorry.", 'sad'],
];
const ECHO_SAD_GRUMPY: readonly Tpl[] = [
  ['{X}? Well, that figures.', 'annoyed'],
  ['{X}? Happens to the best of us.', 'thoughtful'],
];

const REACT: Bank = {
  neutral: [
    ['I hear you.', 'calm'],
    ['Fair enough.', 'calm'],
    ['True, true.', 'calm'],
    ["That's a good point.", 'thoughtful'],
  ],
  cheerful: [
    ["Oh, I couldn't agree more!", 'happy'],
    ["That's so true, {P}!", 'happy'],
    ['Ha, exactly!', 'happy'],
    ['You always know what to say.', 'happy'],
  ],
  grumpy: [
    ["Hmph. I'm not so sure about that.", 'annoyed'],
    ['Nonsense.', 'annoyed'],
    ['If you say so.', 'annoyed'],
    ["I've heard that one before.", 'annoyed'],
  ],
  calm: [
    ["Mm. There's something to that.", 'thoughtful'],
    ["Perhaps you're right.", 'calm'],
    ['I see what you mean.', 'calm'],
  ],
  nervous: [
    ['Oh dear, do you really think so?', 'worried'],
    ["Oh! I, um, hadn't thought of that.", 'surprised'],
    ['That sounds a bit worrying.', 'worried'],
  ],
  playful: [
    ["Ha! You're a riot, {P}.", 'amused'],
    ['Oh, stop it.', 'amused'],
    ['Is that so? Scandalous!', 'amused'],
  ],
  curious: [
    ['Huh, I never thought of it that way.', 'surprised'],
    ['Really? Why do you say that?', 'curious'],
    ['Interesting. What makes you think so?', 'curious'],
  ],
};

const REACT_SAD: readonly Tpl[] = [
  ['Oh no, that sounds awful.', 'worried'],
  ["That's rough, {P}.", 'sad'],
  ["Oh, I'm sorry to hear that.", 'sad'],
];
const REACT_HAPPY: readonly Tpl[] = [
  ['That sounds wonderful!', 'happy'],
  ['Oh, how nice!', 'happy'],
  ["That's the best news I've heard all day.", 'excited'],
];

const TOPIC_HIT: Bank = {
  neutral: [
    ["Oh, {T}! Now you're speaking my language.", 'excited'],
    ["You like {T} too? I knew we'd get along.", 'happy'],
  ],
  cheerful: [
    ['{T}! I could talk about that for hours.', 'excited'],
    ["Oh, {T}! That's my favorite thing in the world!", 'excited'],
  ],
  grumpy: [
    ['{T}? Finally, a subject worth discussing.', 'amused'],
    ['Hmph. At least you know {T} matters.', 'thoughtful'],
  ],
  calm: [
    ['Ah, {T}. A subject close to my heart.', 'calm'],
    ['{T}... you have good taste, {P}.', 'happy'],
  ],
  nervous: [
    ['Oh! {T}! I love {T}. Quietly.', 'happy'],
    ["You're into {T}? Me too, actually!", 'surprised'],
  ],
  playful: [
    ['{T}? Say no more, I am the expert.', 'amused'],
    ['Did someone say {T}?', 'excited'],
  ],
  curious: [
    ['{T}! What got you into it?', 'curious'],
    ['Wait, you know about {T}? Tell me everything!', 'excited'],
  ],
};

const TOPIC_FOLLOW: readonly Tpl[] = [
  ['What got you into it?', 'curious'],
  ['Have you been at it long?', 'curious'],
  ["I've got stories about that, believe me.", 'amused'],
  ['We should compare notes sometime.', 'happy'],
];

const TOPIC_STATEMENT: Bank = {
  neutral: [
    ["I've been thinking about {T} lately.", 'thoughtful'],
    ['Did I ever tell you about {T}?', 'curious'],
    ['I read something about {T} the other day.', 'thoughtful'],
    ["I can't stop thinking about {T} this week.", 'thoughtful'],
  ],
  cheerful: [
    ["I just love {T}, don't you?", 'happy'],
    ['Nothing brightens my day like {T}!', 'happy'],
    ['You know what makes me happy? {T}.', 'happy'],
    ['I had the best time with {T} yesterday!', 'excited'],
  ],
  grumpy: [
    ["Don't get me started on {T}.", 'annoyed'],
    ['Nobody takes {T} seriously anymore.', 'annoyed'],
    ["Overrated, {T}. Still, I can't stop thinking about it.", 'thoughtful'],
    ['People get {T} all wrong, you know.', 'annoyed'],
  ],
  curious: [
    ['Have you ever wondered how {T} really works?', 'curious'],
    ["I've got a hundred questions about {T}.", 'curious'],
    ['I want to learn everything about {T}.', 'excited'],
  ],
  calm: [
    ["There's something peaceful about {T}.", 'calm'],
    ['I was reflecting on {T} this morning.', 'thoughtful'],
    ['You learn patience from {T}, I find.', 'calm'],
  ],
  nervous: [
    ['I, um, have been reading about {T}. A lot.', 'worried'],
    ['Is it silly that {T} makes me a bit nervous?', 'worried'],
    ['I keep meaning to ask someone about {T}.', 'worried'],
  ],
  playful: [
    ["I have a theory about {T}, and it's ridiculous.", 'amused'],
    ["Guess who's the local expert on {T} now? Me. Self-appointed.", 'amused'],
    ["If {T} were a person, I'd marry it.", 'amused'],
  ],
};

const TOPIC_QUESTION: Bank = {
  neutral: [
    ['What do you think about {T}, {P}?', 'curious'],
    ['Have you ever gotten into {T}?', 'curious'],
    ['Do you know much about {T}?', 'curious'],
  ],
  cheerful: [
    ['Have you tried {T}? You would love it!', 'excited'],
    ['We should do something with {T} together sometime, {P}!', 'excited'],
  ],
  grumpy: [
    ["Don't tell me you're into {T} too?", 'annoyed'],
    ['Be honest: what do you really think of {T}?', 'curious'],
  ],
  calm: [
    ['What do you make of {T}, {P}?', 'thoughtful'],
    ['Have you ever given much thought to {T}?', 'thoughtful'],
  ],
  nervous: [
    ['Can I ask you something about {T}?', 'worried'],
    ['Do you ever worry about {T}? Or is that just me?', 'worried'],
  ],
  playful: [
    ['Quick, {P}: {T}, yes or no?', 'amused'],
    ['On a scale of one to ten, how much do you care about {T}?', 'amused'],
  ],
  curious: [
    ['Have you heard anything new about {T}?', 'curious'],
    ['What do you know about {T}? I want details.', 'curious'],
  ],
};

const SHIFT: Record<Temper, readonly string[]> = {
  neutral: ['Anyway, ', 'Oh, that reminds me, ', 'Say, ', 'By the way, ', 'Changing the subject, '],
  cheerful: ['Oh! ', 'Ooh, ', 'Anyway, '],
  grumpy: ['Enough of that. ', 'Anyway. ', 'Moving on. '],
  calm: ['On another note, ', 'You know, ', 'Hmm. '],
  nervous: ['Um, anyway, ', 'Oh, s-speaking of things, ', 'Sorry, random thought: '],
  playful: ['Okay, new subject! ', 'Anyway, ', 'Right, moving swiftly on. '],
  curious: ['Oh, that reminds me, ', 'Say, ', 'Ooh, '],
};

const ASK_PARTNER: Bank = {
  neutral: [
    ['What about you, {P}? What have you been up to?', 'curious'],
    ["What's new with you, {P}?", 'curious'],
    ['Any news, {P}?', 'curious'],
  ],
  cheerful: [
    ["Tell me something good, {P}! What's new?", 'excited'],
    ["So what's making you smile today, {P}?", 'happy'],
  ],
  grumpy: [
    ['Your turn, {P}. Say something interesting.', 'annoyed'],
    ["Well? Don't just stand there, {P}.", 'annoyed'],
  ],
  calm: [
    ["What's on your mind today, {P}?", 'thoughtful'],
    ['And how are things with you, {P}?', 'calm'],
  ],
  nervous: [
    ['Um, how about you, {P}?', 'worried'],
    ["I've been talking too much. What about you, {P}?", 'worried'],
  ],
  playful: [
    ["So, {P}, what's the gossip?", 'amused'],
    ['Go on, {P}, tell me your deepest secret.', 'amused'],
  ],
  curious: [
    ['Seen anything interesting lately, {P}?', 'curious'],
    ["What's the most exciting thing you've heard this week, {P}?", 'curious'],
  ],
};

const PLACE_REMARK: Bank = {
  neutral: [
    ['I do like it here at {L}.', 'happy'],
    ["It's nice at {L} this time of day.", 'calm'],
  ],
  cheerful: [['{L} is my favorite spot in the world!', 'happy']],
  grumpy: [['{L} used to be quieter, you know.', 'annoyed']],
  calm: [['{L} always puts me in a thoughtful mood.', 'thoughtful']],
  nervous: [['Do you hear strange noises around {L} too?', 'worried']],
  playful: [['If {L} could talk, the stories it would tell!', 'amused']],
  curious: [['I wonder who first came up with {L}.', 'curious']],
};

const INTERJECTION: Record<Temper, readonly Tpl[]> = {
  neutral: [
    ['True.', 'calm'],
    ['Ha, fair enough.', 'amused'],
    ['I see.', 'calm'],
    ['Right.', 'calm'],
    ['Mm-hm.', 'calm'],
  ],
  cheerful: [
    ['Oh, how fun!', 'happy'],
    ['Ha, I love that.', 'happy'],
    ['Oh, yes!', 'happy'],
  ],
  grumpy: [
    ['Hmph.', 'annoyed'],
    ['If you say so.', 'annoyed'],
    ['Sure, sure.', 'annoyed'],
    ['Bah.', 'annoyed'],
  ],
  calm: [
    ['Mm.', 'calm'],
    ['Indeed.', 'calm'],
    ['I see.', 'calm'],
  ],
  nervous: [
    ['Oh, um.', 'worried'],
    ['Oh my.', 'worried'],
    ['Right, yes.', 'worried'],
  ],
  playful: [
    ['Ha!', 'amused'],
    ['Oh, you.', 'amused'],
    ['Ooh.', 'amused'],
  ],
  curious: [
    ['Huh!', 'surprised'],
    ['Interesting.', 'curious'],
    ['Ooh, really?', 'curious'],
  ],
};

const GOODBYE: Bank = {
  neutral: [
    ['Well, I should get going. See you around, {P}!', 'happy'],
    ['It was nice talking, {P}. Take care!', 'happy'],
    ["I'll let you go, {P}. See you soon!", 'calm'],
  ],
  cheerful: [
    ["This was lovely, {P}! Let's do it again soon!", 'happy'],
    ["Bye, {P}! Don't be a stranger!", 'happy'],
  ],
  grumpy: [
    ["Right. That's enough chatter for one day. Bye, {P}.", 'annoyed'],
    ['I have things to do. Goodbye, {P}.', 'annoyed'],
  ],
  calm: [
    ['Until next time, {P}. Be well.', 'calm'],
    ['Thank you for the talk, {P}. Go gently.', 'calm'],
  ],
  nervous: [
    ['Oh! Is that the time? I have to go. Bye, {P}!', 'surprised'],
    ['I, um, should go. Bye, {P}!', 'worried'],
  ],
  playful: [
    ["I'd love to stay, but my fans await. Later, {P}!", 'amused'],
    ['Catch you later, {P}. Try not to miss me too much!', 'amused'],
  ],
  curious: [
    ['I have to go, but I want the full story next time, {P}!', 'excited'],
    ["Let's pick this up later, {P}. I'll have questions!", 'curious'],
  ],
};

const GOODBYE_HOME: Bank = {
  neutral: [
    ["I'd better head back to {H}. See you around, {P}!", 'happy'],
    ['Time I got back to {H}. Good talk, {P}.', 'calm'],
  ],
  cheerful: [["I'm off to {H}, but this was lovely, {P}! Bye!", 'happy']],
  grumpy: [
    ["I'm heading back to {H}. Peace and quiet at last.", 'annoyed'],
    ["Well, I'm off to {H}. Don't follow me, {P}.", 'annoyed'],
  ],
  calm: [["I'll walk back to {H} now. Be well, {P}.", 'calm']],
  nervous: [['I should get back to {H} before dark. Bye, {P}!', 'worried']],
  playful: [['{H} is calling my name. Later, {P}!', 'amused']],
  curious: [["I'm heading to {H}, but I want to hear more next time, {P}!", 'excited']],
};

const GOODBYE_REPLY: Bank = {
  neutral: [
    ['Bye, {P}! Take care.', 'happy'],
    ['See you soon, {P}!', 'happy'],
  ],
  cheerful: [
    ['Bye, {P}! This was fun!', 'happy'],
    ['Take care, {P}! Come by anytime!', 'happy'],
  ],
  grumpy: [
    ['Finally. I mean, bye, {P}.', 'annoyed'],
    ['Mm. Goodbye, {P}.', 'annoyed'],
  ],
  calm: [
    ['Go well, {P}.', 'calm'],
    ['Until next time, {P}.', 'calm'],
  ],
  nervous: [
    ['Oh! Okay, bye, {P}!', 'surprised'],
    ['B-bye, {P}! Be careful out there.', 'worried'],
  ],
  playful: [
    ["Don't do anything I wouldn't do, {P}!", 'amused'],
    ['Parting is such sweet sorrow. Bye, {P}!', 'amused'],
  ],
  curious: [
    ['Bye, {P}! Tell me how it goes!', 'excited'],
    ['See you, {P}! I want updates!', 'excited'],
  ],
};

const VOICE_LEADS: readonly string[] = ['You know me. ', 'As I always say, ', 'Well, '];

// ---------------------------------------------------------------------------
// Reading the partner's line
// ---------------------------------------------------------------------------

const STOP = new Set(
  "a about above after again against all also am an and any are aren't as at be because been before being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each even ever every few for from further get gets getting got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's like maybe me more most much must my myself no nor not now of off on once only or other ought our ours ourselves out over own really same say said says she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's these they they'd they'll they're they've this those through to too under until up upon us very was wasn't we we'd we'll we're we've well were weren't what what's when when's where where's which while who who's whom why why's will with won't would wouldn't yes yeah yet you you'd you'll you're you've your yours yourself yourselves oh ah hmm hm huh ha haha hey hi hello bye goodbye okay ok know think thought thing things something anything nothing everything someone anyone everyone way lot lots today tonight tomorrow yesterday morning evening night day days time times week year last next ago always never sometimes often still again already though although going gone come came make made take took see saw look looked want wanted need tell told talk talking feel felt good great nice fine sure right kind sort pretty quite little bit around back hmph bah ugh wow gosh ooh oops eh um uh er mm exactly actually probably definitely certainly absolutely honestly anyway anyways indeed perhaps either neither another whole enough almost instead hope hoping hoped wonder wonders wondered wondering believe guess remember mean means meant seem seems seemed agree sorry thanks thank please suppose supposed coming keep keeps kept start started stop stopped try tried trying find found give gave put call called work worked went tell used help let lets dear friend wait listen".split(
    /\s+/,
  ),
);

const DETERMINERS: Record<string, string> = {
  the: 'the',
  a: 'a',
  an: 'an',
  my: 'your',
  your: 'my',
  our: 'our',
  his: 'his',
  her: 'her',
  their: 'their',
  this: 'that',
  that: 'that',
  these: 'those',
  those: 'those',
};

const POSITIVE = new Set([
  'love',
  'loved',
  'lovely',
  'great',
  'wonderful',
  'beautiful',
  'delicious',
  'amazing',
  'happy',
  'fun',
  'best',
  'glad',
  'favorite',
  'favourite',
  'perfect',
  'excited',
  'brilliant',
  'fantastic',
  'sweet',
  'cozy',
  'won',
  'sunny',
  'adore',
  'enjoy',
  'enjoyed',
  'proud',
  'lucky',
]);
const NEGATIVE = new Set([
  'hate',
  'awful',
  'terrible',
  'sad',
  'lost',
  'broke',
  'broken',
  'scared',
  'afraid',
  'ghost',
  'ghosts',
  'storm',
  'worried',
  'worry',
  'tired',
  'sick',
  'angry',
  'bad',
  'worst',
  'lonely',
  'died',
  'dead',
  'missing',
  'trouble',
  'haunted',
  'fear',
  'hurt',
  'cried',
  'crying',
  'stolen',
  'fire',
  'flood',
  'miss',
  'failed',
  'ruined',
]);

const GREETING_RE =
  /^\s*(?:oh[,!.]?\s+|well[,!.]?\s+|ah[,!.]?\s+)?(?:hi|hello|hey|howdy|greetings|good (?:morning|afternoon|evening|day)|ahoy|yo|hiya|well met)\b|\b(?:nice|good|lovely|great) to see you\b/i;
const GOODBYE_RE =
  /\b(?:good-?bye|bye|farewell|see you (?:later|soon|around|tomorrow|next time)|see ya|take care|good night|gotta go|got to go|have to go|must go|i'm off|i'll be off|heading (?:back|home|off)|head back|until next time|catch you later|later, \w+[.!])/i;
const HOW_ARE_YOU_RE =
  /\bhow (?:are|have) you\b|\bhow's it going\b|\bhow are things\b|\bhow do you do\b|\bhow's (?:your day|life)\b|\byou (?:doing )?(?:ok|okay|alright|all right|well)\?/i;
const YES_NO_RE =
  /^(?:so|and|but|oh|well|say|hey|then)?[,\s]*(?:do|does|did|are|is|am|have|has|had|can|could|would|will|should|shall|was|were|won't|don't|isn't|aren't|didn't)\b/i;

interface Heard {
  text: string;
  isQuestion: boolean;
  questionKind: 'howareyou' | 'yesno' | 'wh' | null;
  isGreeting: boolean;
  isGoodbye: boolean;
  sentiment: number;
  /** Echo phrase, e.g. "the lighthouse" or "your garden". */
  salient: string | null;
  /** One of the speaker's topics that the line mentions. */
  topicHit: string | null;
}

interface Token {
  /** Text between the previous token and this one. */
  gap: string;
  raw: string;
  lower: string;
  index: number;
  sentenceStart: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'’-]*/g;
  let m: RegExpExecArray | null;
  let lastEnd = 0;
  while ((m = re.exec(text)) !== null) {
    const between = text.slice(lastEnd, m.index);
    const raw = m[0].replace(/’/g, "'").replace(/['-]+$/, '');
    tokens.push({
      gap: between,
      raw,
      lower: raw.toLowerCase(),
      index: m.index,
      sentenceStart: tokens.length === 0 || /[.!?…:;"]/.test(between),
    });
    lastEnd = m.index + m[0].length;
  }
  return tokens;
}

function stem(word: string): string {
  return word
    .replace(/'s$/, '')
    .replace(/(?:ies)$/, 'y')
    .replace(/(?<!s)s$/, '');
}

function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?…])\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function hear(text: string, speaker: StorytellerContext['speaker'] | null, names: string[], rng: Rng): Heard {
  const clean = text.trim();
  const sentences = splitSentences(clean);
  // Only a question if the line ends with one ("Why me? Anyway, ..." is a statement).
  const lastSentence = sentences[sentences.length - 1] ?? '';
  const question = lastSentence.includes('?') ? lastSentence : null;
  let questionKind: Heard['questionKind'] = null;
  if (question) {
    if (HOW_ARE_YOU_RE.test(question)) questionKind = 'howareyou';
    else if (YES_NO_RE.test(question)) questionKind = 'yesno';
    else questionKind = 'wh';
  }
  const tokens = tokenize(clean);
  let sentiment = 0;
  for (const t of tokens) {
    if (POSITIVE.has(t.lower)) sentiment += 1;
    if (NEGATIVE.has(t.lower)) sentiment -= 1;
  }

  const excluded = new Set(names.flatMap((n) => n.toLowerCase().split(/\s+/)).map(stem));
  const topicWords = (speaker?.topics ?? []).map((topic) => ({
    topic,
    words: tokenize(topic)
      .map((t) => stem(t.lower))
      .filter((w) => w.length >= 4 && !STOP.has(w)),
  }));

  let topicHit: string | null = null;
  const stems = new Set(tokens.map((t) => stem(t.lower)));
  for (const { topic, words } of topicWords) {
    if (words.some((w) => stems.has(w))) {
      topicHit = topic;
      break;
    }
  }

  // Salient word: long, not a stop word, not a name; bonus for topic words, proper
  // nouns and words after a determiner ("the lighthouse").
  const scored: { i: number; score: number }[] = [];
  tokens.forEach((t, i) => {
    const s = stem(t.lower);
    if (t.lower.length < 4 || STOP.has(t.lower) || STOP.has(s) || excluded.has(s)) return;
    const afterDet = i > 0 && !!DETERMINERS[tokens[i - 1].lower] && isAdjacent(t);
    const afterDetAdj =
      i > 1 &&
      !!DETERMINERS[tokens[i - 2].lower] &&
      looksAdjective(tokens[i - 1].lower) &&
      isAdjacent(t) &&
      isAdjacent(tokens[i - 1]);
    // "a quiet walk": "quiet" is the adjective, the noun after it is the thing to echo.
    if (afterDet && looksAdjective(t.lower) && isContentWord(tokens[i + 1]) && isAdjacent(tokens[i + 1])) return;
    let score = Math.min(t.lower.length, 10);
    if (!t.sentenceStart && /^[A-Z]/.test(t.raw)) score += 3;
    if (afterDet || afterDetAdj) score += 3;
    const onTopic = topicWords.some(({ words }) => words.includes(s));
    if (onTopic) score += 8;
    if (t.lower.endsWith('ly')) score -= 4;
    if (!afterDet && !afterDetAdj && !onTopic && t.lower.endsWith('ing')) score -= 5;
    if (t.lower.length > 5 && t.lower.endsWith('ed') && !t.lower.endsWith('eed')) score -= 5;
    if (POSITIVE.has(t.lower) || NEGATIVE.has(t.lower)) score -= 3;
    scored.push({ i, score });
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  let salient: string | null = null;
  if (scored.length > 0) {
    const pickIndex = scored.length > 1 && scored[1].score >= scored[0].score - 2 && rng.chance(0.35) ? 1 : 0;
    salient = echoPhrase(tokens, scored[pickIndex].i);
  }

  return {
    text: clean,
    isQuestion: question !== null,
    questionKind,
    isGreeting: GREETING_RE.test(clean),
    isGoodbye: GOODBYE_RE.test(clean),
    sentiment,
    salient,
    topicHit,
  };
}

const ADJECTIVES = new Set([
  'old',
  'new',
  'big',
  'small',
  'tiny',
  'huge',
  'quiet',
  'loud',
  'young',
  'long',
  'short',
  'dark',
  'bright',
  'red',
  'blue',
  'green',
  'white',
  'black',
  'golden',
  'strange',
  'secret',
  'hidden',
  'ancient',
  'little',
  'giant',
  'wild',
  'fresh',
  'warm',
  'cold',
  'late',
  'early',
  'first',
  'last',
  'whole',
  'same',
  'other',
  'lovely',
  'wonderful',
  'beautiful',
  'terrible',
  'awful',
  'haunted',
  'broken',
  'lost',
  'best',
  'worst',
  'favorite',
  'favourite',
  'local',
  'main',
  'real',
  'odd',
  'weird',
  'funny',
  'silly',
  'quick',
  'slow',
  'great',
  'nice',
  'good',
  'bad',
]);

/** A modifier before a noun ("the *old* lighthouse"): a known adjective or a typical adjective ending. */
function looksAdjective(word: string): boolean {
  return ADJECTIVES.has(word) || /(?:ful|ous|ive|ish|less|able|ible|ic|al|y|est)$/.test(word);
}

function isAdjacent(t: Token | undefined): boolean {
  return !!t && /^\s+$/.test(t.gap);
}

function isContentWord(t: Token | undefined): t is Token {
  return !!t && t.lower.length >= 3 && !STOP.has(t.lower) && !DETERMINERS[t.lower] && !t.lower.endsWith('ly');
}

function echoPhrase(tokens: Token[], i: number): string {
  const word = (t: Token): string => (!t.sentenceStart && /^[A-Z]/.test(t.raw) ? t.raw : t.lower).replace(/'s$/, '');
  const parts = [word(tokens[i])];
  let start = i;
  // "the old lighthouse": keep one adjective between determiner and word.
  if (
    isContentWord(tokens[i - 1]) &&
    looksAdjective(tokens[i - 1].lower) &&
    isAdjacent(tokens[i]) &&
    isAdjacent(tokens[i - 1]) &&
    tokens[i - 2] &&
    DETERMINERS[tokens[i - 2].lower]
  ) {
    parts.unshift(word(tokens[i - 1]));
    start = i - 1;
  }
  const det = start > 0 && isAdjacent(tokens[start]) ? DETERMINERS[tokens[start - 1].lower] : undefined;
  if (det) {
    const article = det === 'a' || det === 'an' ? (/^[aeiou]/i.test(parts[0]) ? 'an' : 'a') : det;
    parts.unshift(article);
  }
  return parts.join(' ');
}

// ---------------------------------------------------------------------------
// Writing a line
// ---------------------------------------------------------------------------

interface Vars {
  P: string;
  L: string | null;
  H: string | null;
  T: string | null;
  X: string | null;
}

interface Part {
  text: string;
  emotion: Emotion;
  /** The part that carries the line; never dropped when shortening. */
  main?: boolean;
}

interface Draft {
  parts: Part[];
  kind: 'greet' | 'reply' | 'answer' | 'echo' | 'react' | 'topic' | 'shift' | 'voice' | 'ask' | 'place' | 'goodbye';
  agree?: boolean;
}

function fill(template: string, vars: Vars): string {
  return template.replace(/\{([PLHTX])\}/g, (_, k: keyof Vars) => vars[k] ?? '');
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Lower-cases the first letter for use after a lead-in, unless it is "I" or the first word looks like a name. */
const LEAD_WORDS = new Set([
  'people',
  'nobody',
  'guess',
  'overrated',
  'quick',
  'can',
  'everybody',
  'have',
  'did',
  'do',
  'is',
  'if',
  'be',
  'what',
  'on',
  'we',
  "don't",
  'any',
  'got',
  "you'll",
  "there's",
]);

function lowerFirst(text: string): string {
  const first = text.split(/[\s,.!?]/)[0] ?? '';
  if (first === 'I' || first.startsWith("I'") || first.startsWith('{')) return text;
  if (!STOP.has(first.toLowerCase()) && !LEAD_WORDS.has(first.toLowerCase())) return text;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function tpl(rng: Rng, items: readonly Tpl[], vars: Vars, main = false): Part {
  const [text, emotion] = rng.pick(items);
  return { text: cap(fill(text, vars)), emotion, main };
}

function placeRef(place: string): string {
  let p = place.trim();
  if (!/\s/.test(p)) p = p.replace(/[_-]+/g, ' ');
  if (/^(?:the|a|an|my|our|his|her|their)\s/i.test(p) || /^[A-Z]/.test(p)) return p;
  return `the ${p}`;
}

function homeRef(home: string): string {
  // Spoken by the character: "his boat" becomes "my boat".
  let h = home.trim().replace(/^(?:his|her|their)\s+/i, 'my ');
  if (!/\s/.test(h)) h = h.replace(/[_-]+/g, ' ');
  if (/^(?:the|a|an|my|our|his|her|their)\s/i.test(h) || /^[A-Z]/.test(h)) return h;
  return `the ${h}`;
}

function mentions(texts: string[], topic: string): boolean {
  const words = tokenize(topic)
    .map((t) => stem(t.lower))
    .filter((w) => w.length >= 4 && !STOP.has(w));
  if (words.length === 0) return texts.some((t) => t.toLowerCase().includes(topic.toLowerCase()));
  return texts.some((t) => {
    const stems = new Set(tokenize(t).map((x) => stem(x.lower)));
    return words.some((w) => stems.has(w));
  });
}

function writeLine(ctx: StorytellerContext, recent: string[]): StorytellerLine {
  const { speaker, partner, history, turn, maxTurns } = ctx;
  const rng = new Rng(hashString(`${ctx.seed}|${speaker.id}|${turn}`));
  const profile = profileOf(speaker.traits, speaker.mood);

  const last = history.length > 0 ? history[history.length - 1] : null;
  const partnerLine = last && last.characterId !== speaker.id ? last.text : null;
  const heard = partnerLine ? hear(partnerLine, speaker, [partner.name, speaker.name], rng) : null;

  // Decide once whether this line ends the conversation, so re-draws keep it.
  let end = turn >= maxTurns - 1;
  if (!end && heard?.isGoodbye && turn >= 2) end = true;
  if (!end && turn >= 3) {
    // Grows from 8% at turn 3 to ~55% just before the cut.
    const progress = (turn - 3) / Math.max(1, maxTurns - 4);
    let p = 0.08 + 0.47 * progress ** 1.5;
    if (heard?.isQuestion) p /= 2;
    end = rng.chance(Math.min(0.85, p));
  }

  const banned = new Set([...recent, ...history.map((h) => normalise(h.text))]);
  const said = [...history.map((h) => h.text)];
  const usedVoice = (v: string): boolean => {
    const nv = normalise(v);
    return said.some((t) => normalise(t).includes(nv)) || recent.some((r) => r.includes(nv));
  };
  const freshVoices = speaker.voice.filter((v) => !usedVoice(v));
  const historyTexts = history.map((h) => h.text);
  const freshTopics = speaker.topics.filter((t) => !mentions(historyTexts, t));

  const vars: Vars = {
    P: partner.name,
    L: ctx.place ? placeRef(ctx.place) : null,
    H: speaker.home ? homeRef(speaker.home) : null,
    T: null,
    X: null,
  };

  let fallback: StorytellerLine | null = null;
  for (let attempt = 0; attempt < 24; attempt++) {
    const temper = rollTemper(rng, profile);
    const draft = end
      ? goodbye(rng, temper, vars, heard, speaker.home != null)
      : turn === 0 || (!heard && history.length === 0)
        ? greeting(rng, temper, vars, speaker, freshTopics, freshVoices)
        : middle(rng, temper, vars, heard, speaker, turn, history, freshTopics, freshVoices);
    const line = finish(draft, rng, temper, profile, end);
    fallback ??= line;
    // Prefer lines of at most three short sentences; take a longer one only late.
    if (attempt < 16 && sentenceCount(line.say) > 3) continue;
    if (!banned.has(normalise(line.say))) return line;
  }
  // Practically unreachable: every draw repeated something. Vary the first draw.
  const base = fallback as StorytellerLine;
  const extras = [` Right, ${partner.name}?`, ' Anyway.', ' Ha.', ' Mm-hm.', ' Where was I?', ' You know?'];
  for (let i = 0; ; i++) {
    const tail = extras[i % extras.length] + (i >= extras.length ? ` (${i})` : '');
    const say = fitLength(base.say.replace(/[\s.]*$/, '.') + tail);
    if (!banned.has(normalise(say))) return { ...base, say };
  }
}

function pickTopic(rng: Rng, fresh: string[], all: string[]): string | null {
  if (fresh.length > 0 && (all.length === fresh.length || rng.chance(0.8))) return rng.pick(fresh);
  return all.length > 0 ? rng.pick(all) : null;
}

function voicePart(rng: Rng, voices: string[], withLead: boolean): Part | null {
  if (voices.length === 0) return null;
  const voice = rng.pick(voices).trim();
  if (withLead && rng.chance(0.25)) {
    const lead = rng.pick(VOICE_LEADS);
    const body = lead.endsWith(', ') ? lowerFirst(voice) : voice;
    if (!lead.endsWith(', ') || body !== voice) return { text: lead + body, emotion: emotionOfText(voice), main: true };
  }
  return { text: voice, emotion: emotionOfText(voice), main: true };
}

function emotionOfText(text: string): Emotion {
  const t = text.toLowerCase();
  if (/\b(?:ha|haha|heh|hehe|lol)\b/.test(t)) return 'amused';
  if (/\b(?:alas|sigh|miss|lonely|sad|tears)\b/.test(t)) return 'sad';
  if (/\b(?:hmph|bah|ugh|nonsense|humbug)\b/.test(t)) return 'annoyed';
  if (/\b(?:afraid|careful|danger|scared|worry|beware)\b/.test(t)) return 'worried';
  if (t.trim().endsWith('?')) return 'curious';
  if (t.includes('!')) return 'excited';
  return 'thoughtful';
}

function greeting(
  rng: Rng,
  temper: Temper,
  vars: Vars,
  speaker: StorytellerContext['speaker'],
  topics: string[],
  voices: string[],
): Draft {
  const parts: Part[] = [tpl(rng, GREET[temper], vars, true)];
  const options: [string, number][] = [
    ['none', 1.2],
    ['follow', 2],
  ];
  if (vars.L) options.push(['place', 3]);
  if (speaker.topics.length > 0) options.push(['topic', 2]);
  if (voices.length > 0) options.push(['voice', 1.5]);
  const choice = rng.weighted(options);
  if (choice === 'place') parts.push(tpl(rng, [...GREET_PLACE[temper], ...GREET_PLACE.neutral], vars));
  else if (choice === 'follow') parts.push(tpl(rng, GREET_FOLLOW, vars));
  else if (choice === 'topic')
    parts.push(tpl(rng, OPENER_TOPIC, { ...vars, T: pickTopic(rng, topics, speaker.topics) }));
  else if (choice === 'voice') {
    const v = voicePart(rng, voices, false);
    if (v) parts.push({ ...v, main: false });
  }
  return { parts, kind: 'greet' };
}

function goodbye(rng: Rng, temper: Temper, vars: Vars, heard: Heard | null, hasHome: boolean): Draft {
  if (heard?.isGoodbye) {
    const parts = [tpl(rng, GOODBYE_REPLY[temper], vars, true)];
    if (hasHome && rng.chance(0.3))
      parts.push({ text: cap(fill(`I'm heading back to {H} myself.`, vars)), emotion: 'calm' });
    return { parts, kind: 'goodbye' };
  }
  const parts: Part[] = [];
  if (heard && rng.chance(0.45)) {
    parts.push(
      heard.isQuestion && heard.questionKind === 'yesno'
        ? tpl(rng, YES_NO[temper], vars)
        : tpl(rng, INTERJECTION[temper], vars),
    );
  }
  const bank = hasHome && rng.chance(0.55) ? GOODBYE_HOME : GOODBYE;
  parts.push(tpl(rng, bank[temper], vars, true));
  return { parts, kind: 'goodbye' };
}

function middle(
  rng: Rng,
  temper: Temper,
  vars: Vars,
  heard: Heard | null,
  speaker: StorytellerContext['speaker'],
  turn: number,
  history: StorytellerContext['history'],
  topics: string[],
  voices: string[],
): Draft {
  const topicVars = (): Vars => ({ ...vars, T: pickTopic(rng, topics, speaker.topics) });
  const body = (statementsOnly = false): Part | null => {
    const choice = rng.weighted<string>([
      ['statement', speaker.topics.length > 0 ? 3 : 0],
      ['question', speaker.topics.length > 0 && !statementsOnly ? 1.5 : 0],
      ['voice', voices.length > 0 ? 3 : 0],
      ['ask', statementsOnly ? 0 : 1],
      ['place', vars.L ? 0.5 : 0],
    ]);
    if (choice === 'statement') return tpl(rng, TOPIC_STATEMENT[temper], topicVars(), true);
    if (choice === 'question') return tpl(rng, TOPIC_QUESTION[temper], topicVars(), true);
    if (choice === 'voice') return voicePart(rng, voices, true);
    if (choice === 'place' && vars.L) return tpl(rng, PLACE_REMARK[temper], vars, true);
    return tpl(rng, ASK_PARTNER[temper], vars, true);
  };
  const withBody = (parts: Part[], p: number, statementsOnly = false): Part[] => {
    if (rng.chance(p)) {
      const b = body(statementsOnly);
      if (b) return [...parts, b];
    }
    return parts;
  };

  if (heard) {
    // Greeted back early in the conversation.
    const spokeAlready = history.some((h) => h.characterId === speaker.id);
    if (!spokeAlready && ((heard.isGreeting && turn <= 2) || history.length === 1)) {
      const parts = [tpl(rng, REPLY_GREET[temper], vars, true)];
      if (heard.questionKind === 'howareyou') parts.push(tpl(rng, HOW_ARE_YOU[temper], vars));
      else if (heard.isQuestion)
        parts.push(tpl(rng, heard.questionKind === 'yesno' ? YES_NO[temper] : WH_ANSWER[temper], vars));
      return { parts: withBody(parts, heard.isQuestion ? 1 : 0.6, heard.isQuestion), kind: 'reply' };
    }
    // A bare "Hello." later on: nothing to react to, so bring something up.
    if (heard.isGreeting && !heard.isQuestion && !heard.salient) {
      const b = body();
      if (b) return { parts: [b], kind: 'topic' };
    }
    // Answer a question.
    if (heard.isQuestion && rng.chance(0.9)) {
      if (heard.questionKind === 'howareyou')
        return { parts: withBody([tpl(rng, HOW_ARE_YOU[temper], vars, true)], 0.55), kind: 'answer' };
      // A bare "Good question." is no answer: what-questions always get a statement.
      const bank = heard.questionKind === 'yesno' ? (heard.topicHit ? TOPIC_YES : YES_NO) : WH_ANSWER;
      const parts = [tpl(rng, bank[temper], vars, true)];
      // "The new mayor? Good question."
      if (heard.questionKind === 'wh' && heard.salient && rng.chance(0.4)) {
        parts[0] = { ...parts[0], text: `${cap(heard.salient)}? ${parts[0].text}` };
      }
      if (heard.topicHit && rng.chance(0.5)) {
        parts.push(tpl(rng, TOPIC_STATEMENT[temper], { ...vars, T: heard.topicHit }, true));
        return { parts, kind: 'answer' };
      }
      return { parts: withBody(parts, heard.questionKind === 'wh' ? 1 : 0.7, true), kind: 'answer' };
    }
  }

  const moves: [Draft['kind'], number][] = [
    ['topic', heard?.topicHit ? 5 : 0],
    ['echo', heard?.salient ? 3.5 : 0],
    ['react', heard ? 3 : 0],
    ['shift', 1 + 0.25 * turn],
    ['voice', voices.length > 0 ? 2 : 0],
    ['ask', 1.2],
    ['place', vars.L ? 0.5 : 0],
  ];
  const move = rng.weighted(moves);

  if (move === 'topic' && heard?.topicHit) {
    const parts = [tpl(rng, TOPIC_HIT[temper], { ...vars, T: heard.topicHit }, true)];
    if (!parts[0].text.endsWith('?') && rng.chance(0.6)) {
      const v = rng.chance(0.5) ? voicePart(rng, voices, false) : null;
      parts.push(v ?? tpl(rng, TOPIC_FOLLOW, vars));
    }
    return { parts, kind: 'topic' };
  }
  if (move === 'echo' && heard?.salient) {
    const x = { ...vars, X: heard.salient };
    const bank = heard.sentiment < 0 ? (temper === 'grumpy' ? ECHO_SAD_GRUMPY : ECHO_SAD) : ECHO[temper];
    const parts = [tpl(rng, bank, x, true)];
    return { parts: withBody(parts, 0.35), kind: 'echo' };
  }
  if (move === 'react' && heard) {
    let bank: readonly Tpl[] = REACT[temper];
    if (heard.sentiment < 0 && temper !== 'grumpy' && temper !== 'playful') bank = REACT_SAD;
    else if (heard.sentiment > 0 && (temper === 'cheerful' || temper === 'neutral' || temper === 'calm'))
      bank = [...REACT[temper], ...REACT_HAPPY];
    const parts = [tpl(rng, bank, vars, true)];
    const agree = temper === 'cheerful' || temper === 'calm' || temper === 'neutral';
    if (parts[0].text.endsWith('?')) return { parts, kind: 'react', agree };
    return { parts: withBody(parts, 0.6), kind: 'react', agree };
  }
  if (move === 'voice') {
    const v = voicePart(rng, voices, true);
    if (v) {
      const opensWithInterjection = /^(?:hmph|bah|ha|oh|ah|well|ugh|hm+|um|ooh|yes|no)\b/i.test(v.text);
      const parts =
        heard && !opensWithInterjection && rng.chance(0.6) ? [tpl(rng, INTERJECTION[temper], vars), v] : [v];
      return { parts, kind: 'voice' };
    }
  }
  if (move === 'place' && vars.L) {
    return { parts: [tpl(rng, PLACE_REMARK[temper], vars, true)], kind: 'place' };
  }
  if (move === 'ask') {
    const parts = heard && rng.chance(0.5) ? [tpl(rng, INTERJECTION[temper], vars)] : [];
    parts.push(tpl(rng, ASK_PARTNER[temper], vars, true));
    return { parts, kind: 'ask' };
  }
  // Topic change.
  const t = topicVars();
  if (!t.T) {
    const v = voicePart(rng, voices, false);
    return { parts: [v ?? tpl(rng, ASK_PARTNER[temper], vars, true)], kind: 'shift' };
  }
  const [text, emotion] = rng.pick(rng.chance(0.65) ? TOPIC_STATEMENT[temper] : TOPIC_QUESTION[temper]);
  const lead = heard ? rng.pick(SHIFT[temper]) : '';
  const sentence = lead && !/[.?!:] $/.test(lead) ? lowerFirst(text) : text;
  return { parts: [{ text: cap(lead + fill(sentence, t)), emotion, main: true }], kind: 'shift' };
}

function sentenceCount(text: string): number {
  return splitSentences(text).length;
}

function fitLength(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= MAX_CHARS) return t;
  const sentences = splitSentences(t);
  let out = '';
  for (const s of sentences) {
    if ((out ? out.length + 1 : 0) + s.length > MAX_CHARS) break;
    out = out ? `${out} ${s}` : s;
  }
  if (out) return out;
  const cut = t.slice(0, MAX_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > 40 ? cut.slice(0, space) : cut).replace(/[\s,;:—-]+$/, '')}…`;
}

function finish(draft: Draft, rng: Rng, temper: Temper, profile: Profile, end: boolean): StorytellerLine {
  let parts = draft.parts.filter((p) => p.text.trim() !== '');
  // Keep to 1-2 sentences (a short interjection may make it three) and under 200 chars.
  const joined = (ps: Part[]): string => ps.map((p) => p.text.trim()).join(' ');
  while (parts.length > 1 && (joined(parts).length > MAX_CHARS || sentenceCount(joined(parts)) > 3)) {
    const drop = parts.findIndex((p) => !p.main);
    if (drop < 0 && joined(parts).length <= MAX_CHARS) break; // too many sentences: writeLine re-draws
    parts = parts.filter((_, i) => i !== (drop >= 0 ? drop : parts.length - 1));
  }
  const say = fitLength(joined(parts)).replace(
    /([.!?]\s+)(\p{Ll})/gu,
    (_, gap: string, c: string) => gap + c.toUpperCase(),
  );

  // Emotion: the main part's, nudged by temperament and by what the line does.
  const main = parts.find((p) => p.main) ?? parts[parts.length - 1];
  let emotion: Emotion = main.emotion;
  const dominant = dominantTemper(profile);
  const lastSentence = splitSentences(say).pop() ?? say;
  const mild = emotion === 'happy' || emotion === 'calm' || emotion === 'thoughtful';
  if (lastSentence.endsWith('?') && (mild || emotion === 'excited')) {
    // A question reads as curious, unless it is worried, grumpy, teasing or surprised.
    emotion = dominant === 'grumpy' && temper === 'grumpy' ? 'annoyed' : 'curious';
  } else if (dominant === 'grumpy' && temper === 'neutral' && mild && rng.chance(0.5)) {
    emotion = 'annoyed'; // a grump's neutral remarks still come out grumbled
  } else if (mild && rng.chance(0.12)) {
    emotion = rng.pick(TEMPER_EMOTION[temper]);
  }
  if (!EMOTIONS.includes(emotion)) emotion = 'calm';

  let action: string | undefined;
  if ((draft.kind === 'greet' || draft.kind === 'goodbye') && rng.chance(0.6)) action = 'wave';
  else if (emotion === 'amused' && rng.chance(0.5)) action = 'laugh';
  else if (draft.kind === 'react' && draft.agree && rng.chance(0.5)) action = 'nod';
  else if (emotion === 'annoyed' && rng.chance(0.35)) action = 'sigh';
  else if (emotion === 'thoughtful' && rng.chance(0.35)) action = 'think';
  else if (draft.kind === 'answer' && emotion === 'worried' && rng.chance(0.4)) action = 'shrug';

  const line: StorytellerLine = { say, emotion, endConversation: end };
  if (action) line.action = action;
  return line;
}

/** Lower-case, punctuation-free form used to compare lines. */
function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

// ---------------------------------------------------------------------------
// No context: a sensible generic line from the last human message.
// ---------------------------------------------------------------------------

function genericLine(messages: BaseMessage[]): StorytellerLine {
  const human = [...messages].reverse().find((m) => m.getType() === 'human') ?? messages[messages.length - 1];
  const text = human ? textOf(human).trim().slice(-2000) : '';
  const rng = new Rng(hashString(text));
  if (!text) {
    return {
      say: rng.pick(["Hello there! Lovely day for a chat, isn't it?", 'Oh, hello! What shall we talk about?']),
      emotion: 'happy',
      endConversation: false,
    };
  }
  const heard = hear(text, null, [], rng);
  const x = heard.salient ? cap(heard.salient) : null;
  if (heard.isGoodbye) return { say: 'Goodbye, then! Take care.', emotion: 'happy', endConversation: true };
  if (heard.isQuestion) {
    const say = x
      ? rng.pick([`${x}? Good question. I'd say it depends on the day.`, `${x}? Hmm, let me think about that one.`])
      : rng.pick(['Good question. Let me think about that one.', "Hmm, I'm not sure. What do you think?"]);
    return { say: fitLength(say), emotion: say.endsWith('?') ? 'curious' : 'thoughtful', endConversation: false };
  }
  if (heard.isGreeting)
    return {
      say: rng.pick(['Hello! Good to see you.', 'Hi there! How are you?']),
      emotion: 'happy',
      endConversation: false,
    };
  const say = x
    ? rng.pick([
        `${x}? Now that's something worth talking about.`,
        `Ah, ${heard.salient}. Tell me more!`,
        `${x}? I was just thinking about that.`,
      ])
    : rng.pick(['I see. Tell me more!', 'Hmm, interesting. Go on.']);
  return { say: fitLength(say), emotion: heard.sentiment < 0 ? 'worried' : 'curious', endConversation: false };
}

function textOf(message: BaseMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((block) =>
        typeof block === 'string'
          ? block
          : typeof (block as { text?: unknown }).text === 'string'
            ? (block as { text: string }).text
            : '',
      )
      .join(' ');
  }
  return '';
}
