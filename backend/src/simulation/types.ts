/** Types of the pure simulation core. Nothing here knows about NestJS, TypeORM or LangChain. */

export type Point = readonly [number, number];
export type Direction = 'up' | 'down' | 'left' | 'right';
export type CharacterAction = 'idle' | 'walking' | 'talking' | 'thinking';
export type EndReason = 'goodbye' | 'max-turns' | 'timeout' | 'error' | 'left' | 'interrupted' | 'paused' | 'budget';

export interface CastMember {
  id: string;
  x: number;
  y: number;
}

export interface SceneSpec {
  id: string;
  name: string;
  description: string;
  map: string[];
  places: Record<string, [number, number]>;
  cast: CastMember[];
}

/** What the core needs to know of a character; the persona stays with the agents. */
export interface CharacterSpec {
  id: string;
  name: string;
  home?: string;
}

export interface SimOptions {
  /** Length of one tick; walking speed is one tile per tick. */
  tickMs: number;
  /** Characters at most this many tiles apart (Chebyshev) may start talking. */
  conversationRadiusTiles: number;
  /** Chance per tick that two free characters within the radius start talking. */
  meetChancePerTick: number;
  /** Chance that an idle character walks up to someone rather than to a place. */
  approachChance: number;
  /** Lines after which a conversation ends even if nobody says goodbye. */
  maxTurns: number;
  /** Ticks a character waits after a conversation before starting another. */
  cooldownTicks: number;
  /** Ticks before the same two characters may talk again. */
  pairCooldownTicks: number;
  /** How long one line may take, its retries included, before it is dropped as late. */
  lineTimeoutMs: number;
  /** Failed line requests asked again (within the first request's deadline) before the conversation ends. */
  lineRetries: number;
  /** Reading pace of a bubble: characters per second. */
  readingCharsPerSecond: number;
  minReadingMs: number;
  maxReadingMs: number;
  /** Ticks a character lingers at a place before choosing the next: [min, max]. */
  idleTicks: [number, number];
  /** Lines of the current conversation handed to the agent with each request. */
  historyLines: number;
  /**
   * LLM tokens (prompt + completion, from each line's meta) a scene may spend per
   * `budgetWindowMs`; once spent it starts no conversation and asks for no further line
   * until old spending leaves the window. 0: no budget.
   */
  budgetTokens: number;
  /** Length of the sliding budget window, in clock milliseconds. */
  budgetWindowMs: number;
  /**
   * While nobody watches (visitors 0), conversations start this many times less often and
   * cooldowns last this many times longer: LLM calls nobody reads are mostly saved. 1: off.
   */
  unwatchedSlowdown: number;
}

export const DEFAULT_SIM_OPTIONS: SimOptions = {
  tickMs: 500,
  conversationRadiusTiles: 2,
  meetChancePerTick: 0.3,
  approachChance: 0.45,
  maxTurns: 8,
  cooldownTicks: 40,
  pairCooldownTicks: 120,
  lineTimeoutMs: 30_000,
  lineRetries: 1,
  readingCharsPerSecond: 15,
  minReadingMs: 2_000,
  maxReadingMs: 9_000,
  idleTicks: [4, 14],
  historyLines: 8,
  budgetTokens: 0,
  budgetWindowMs: 3_600_000,
  unwatchedSlowdown: 1,
};

export interface LineRecord {
  characterId: string;
  text: string;
  emotion: string;
  tick: number;
}

export interface CharacterState {
  id: string;
  name: string;
  home: string | null;
  x: number;
  y: number;
  direction: Direction;
  action: CharacterAction;
  mood: string;
  path: [number, number][];
  /** Who this character is walking up to, if anyone. */
  approaching: string | null;
  idleUntilTick: number;
  cooldownUntilTick: number;
  conversationId: string | null;
}

export interface PendingLine {
  opId: string;
  speakerId: string;
  /** Clock time (ms) after which the result is dropped as late. */
  deadline: number;
  attempt: number;
}

export interface ReadyLine {
  speakerId: string;
  text: string;
  emotion: string;
  action: string | null;
  endConversation: boolean;
  meta: Record<string, unknown> | null;
}

export interface ConversationState {
  id: string;
  participants: [string, string];
  place: string | null;
  startedTick: number;
  lines: LineRecord[];
  turns: number;
  pending: PendingLine | null;
  ready: ReadyLine | null;
  /** Clock time (ms) until which the last shown line is being read. */
  showUntil: number;
  /** Set once the last line is shown: the conversation ends when it has been read. */
  endAfterShown: EndReason | null;
}

/** Everything needed to resume a scene: plain JSON. */
export interface SceneState {
  sceneId: string;
  tick: number;
  rngState: number;
  opCounter: number;
  characters: CharacterState[];
  conversations: ConversationState[];
  /** Pair key "a|b" (sorted ids) to the tick their last conversation ended. */
  lastPairTalk: Record<string, number>;
  /** Tokens spent inside the budget window: [clock ms, tokens], oldest first. */
  tokenLedger?: [number, number][];
  /** Visitors watching, as last told by an `audience` input. */
  visitors?: number;
  /** false while the LLM is known to be down (and no fallback): no conversation starts. */
  llmAvailable?: boolean;
}

/** The part of a character visitors see. */
export interface CharacterView {
  id: string;
  x: number;
  y: number;
  direction: Direction;
  action: CharacterAction;
  mood: string;
}

/** Inputs arrive between ticks and are applied at the start of the next one. */
export type SimInput =
  | {
      type: 'lineResult';
      opId: string;
      say: string;
      emotion: string;
      action?: string | null;
      endConversation: boolean;
      meta?: Record<string, unknown> | null;
    }
  | { type: 'lineFailed'; opId: string; error: string }
  | { type: 'characterJoined'; character: CharacterSpec; x: number; y: number }
  | { type: 'characterLeft'; characterId: string }
  | { type: 'characterUpdated'; character: CharacterSpec }
  /** How many visitors watch the scene now; nobody watching slows conversations down. */
  | { type: 'audience'; visitors: number }
  /** Whether line requests can currently be served; while not, no conversation starts. */
  | { type: 'llmAvailability'; available: boolean };

export type SimEvent =
  | {
      type: 'conversationStarted';
      conversationId: string;
      participants: [string, string];
      place: string | null;
      tick: number;
    }
  | {
      type: 'lineRequested';
      opId: string;
      conversationId: string;
      speakerId: string;
      partnerId: string;
      place: string | null;
      history: LineRecord[];
      turn: number;
      maxTurns: number;
      deadline: number;
    }
  | {
      type: 'lineShown';
      conversationId: string;
      characterId: string;
      text: string;
      emotion: string;
      action: string | null;
      tick: number;
      at: number;
      meta: Record<string, unknown> | null;
    }
  | { type: 'typing'; conversationId: string; characterId: string }
  | {
      type: 'conversationEnded';
      conversationId: string;
      participants: [string, string];
      reason: EndReason;
      tick: number;
    }
  | { type: 'opDropped'; opId: string; reason: 'stale' | 'timeout' | 'failed' }
  | { type: 'inputRejected'; input: SimInput['type']; reason: string }
  /** The token budget was spent (`exhausted: true`) or freed again by the sliding window. */
  | { type: 'budget'; exhausted: boolean; spent: number; limit: number };

export interface TickResult {
  tick: number;
  now: number;
  /** Characters whose visible state changed during this tick. */
  changed: CharacterView[];
  events: SimEvent[];
}
