import { findPath } from './pathfinding.js';
import { Rng, hashString } from './rng.js';
import {
  DEFAULT_SIM_OPTIONS,
  type CharacterSpec,
  type CharacterState,
  type CharacterView,
  type ConversationState,
  type Direction,
  type EndReason,
  type SceneSpec,
  type SceneState,
  type SimEvent,
  type SimInput,
  type SimOptions,
  type TickResult,
} from './types.js';
import { World } from './world.js';

/**
 * One scene's simulation: characters walk between places, notice each other, talk and
 * cool down. `tick(now, inputs)` is synchronous and never waits on a model: a line is
 * asked for with a `lineRequested` event carrying an operation id, and its answer comes
 * back later as a `lineResult` input. Same seed, same inputs, same `now`s: same scene.
 */
export class SceneSimulation {
  readonly world: World;
  readonly options: SimOptions;
  private readonly rng: Rng;
  private state: SceneState;
  private readonly byId = new Map<string, CharacterState>();
  /** Visible state of each character as last reported, to send only what changed. */
  private readonly lastViews = new Map<string, string>();
  /** Budget state last reported, so a `budget` event marks each change once. */
  private budgetWasExhausted = false;

  constructor(
    spec: SceneSpec,
    characters: CharacterSpec[],
    options: Partial<SimOptions> = {},
    seed: number | string = spec.id,
  ) {
    this.world = new World(spec);
    this.options = { ...DEFAULT_SIM_OPTIONS, ...options };
    this.rng = new Rng(seed);
    const known = new Map(characters.map((c) => [c.id, c]));
    this.state = {
      sceneId: spec.id,
      tick: 0,
      rngState: this.rng.getState(),
      opCounter: 0,
      characters: [],
      conversations: [],
      lastPairTalk: {},
      tokenLedger: [],
      visitors: 0,
      llmAvailable: true,
    };
    for (const member of spec.cast) {
      const character = known.get(member.id);
      if (character) this.addCharacter(character, member.x, member.y);
    }
  }

  /** Rebuilds a scene from a saved state; conversations that were open are dropped. */
  static restore(
    spec: SceneSpec,
    saved: SceneState,
    characters: CharacterSpec[],
    options: Partial<SimOptions> = {},
    tick = saved.tick,
  ): SceneSimulation {
    const sim = new SceneSimulation({ ...spec, cast: [] }, [], options);
    const known = new Map(characters.map((c) => [c.id, c]));
    // Spending stays on the books across a restart; audience and LLM state are re-told.
    sim.state = structuredClone({
      ...saved,
      conversations: [],
      tick,
      tokenLedger: saved.tokenLedger ?? [],
      visitors: 0,
      llmAvailable: true,
    });
    sim.state.characters = sim.state.characters.filter((c) => known.has(c.id) && sim.world.isWalkable(c.x, c.y));
    for (const c of sim.state.characters) {
      const spec = known.get(c.id)!;
      c.name = spec.name;
      c.home = spec.home ?? null;
      c.conversationId = null;
      c.path = c.path.filter(([x, y]) => sim.world.isWalkable(x, y));
      if (c.action === 'talking' || c.action === 'thinking') c.action = 'idle';
      sim.byId.set(c.id, c);
    }
    // Cast members added to the scene file since the snapshot join at their start tile.
    for (const member of spec.cast) {
      const character = known.get(member.id);
      if (character && !sim.byId.has(member.id) && sim.world.isWalkable(member.x, member.y))
        sim.addCharacter(character, member.x, member.y);
    }
    sim.rng.setState(saved.rngState);
    return sim;
  }

  get tickCount(): number {
    return this.state.tick;
  }

  get sceneId(): string {
    return this.state.sceneId;
  }

  /** A deep copy of the whole state: safe to store or compare. */
  getState(): SceneState {
    this.state.rngState = this.rng.getState();
    return structuredClone(this.state);
  }

  views(): CharacterView[] {
    return this.state.characters.map(view);
  }

  characters(): readonly Readonly<CharacterState>[] {
    return this.state.characters;
  }

  conversations(): readonly Readonly<ConversationState>[] {
    return this.state.conversations;
  }

  /** Advances one tick at clock time `now` (ms), applying `inputs` first. */
  tick(now: number, inputs: readonly SimInput[] = []): TickResult {
    const events: SimEvent[] = [];
    this.state.tick += 1;
    for (const input of inputs) {
      try {
        this.applyInput(input, now, events);
      } catch (error) {
        // One bad input must not abort the tick for everyone else.
        events.push({
          type: 'inputRejected',
          input: input.type,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
    this.reportBudget(now, events);
    for (const conversation of [...this.state.conversations]) this.advanceConversation(conversation, now, events);
    for (const character of this.state.characters) {
      if (character.conversationId === null) this.advanceCharacter(character);
    }
    this.startConversations(now, events);
    return { tick: this.state.tick, now, changed: this.collectChanges(), events };
  }

  // ---- inputs -------------------------------------------------------------------------

  private applyInput(input: SimInput, now: number, events: SimEvent[]): void {
    switch (input.type) {
      case 'lineResult': {
        // Tokens are spent even when the answer comes too late to be shown.
        this.spend(now, input.meta);
        const conversation = this.findByOp(input.opId);
        if (!conversation || !conversation.pending) {
          events.push({ type: 'opDropped', opId: input.opId, reason: 'stale' });
          return;
        }
        if (now > conversation.pending.deadline) {
          events.push({ type: 'opDropped', opId: input.opId, reason: 'timeout' });
          this.retryOrEnd(conversation, now, events, 'timeout');
          return;
        }
        const text = typeof input.say === 'string' ? input.say.trim() : '';
        if (text.length === 0) throw new Error(`empty line for ${input.opId}`);
        conversation.ready = {
          speakerId: conversation.pending.speakerId,
          text,
          emotion: input.emotion || 'neutral',
          action: input.action ?? null,
          endConversation: Boolean(input.endConversation),
          meta: input.meta ?? null,
        };
        conversation.pending = null;
        return;
      }
      case 'lineFailed': {
        const conversation = this.findByOp(input.opId);
        if (!conversation) {
          events.push({ type: 'opDropped', opId: input.opId, reason: 'stale' });
          return;
        }
        events.push({ type: 'opDropped', opId: input.opId, reason: 'failed' });
        this.retryOrEnd(conversation, now, events, 'error');
        return;
      }
      case 'characterJoined': {
        if (this.byId.has(input.character.id))
          throw new Error(`character ${input.character.id} is already in the scene`);
        if (!this.world.isWalkable(input.x, input.y)) throw new Error(`[${input.x}, ${input.y}] is not walkable`);
        this.addCharacter(input.character, input.x, input.y);
        return;
      }
      case 'characterLeft': {
        const character = this.byId.get(input.characterId);
        if (!character) throw new Error(`character ${input.characterId} is not in the scene`);
        if (character.conversationId) {
          const conversation = this.state.conversations.find((c) => c.id === character.conversationId);
          if (conversation) this.endConversation(conversation, 'left', events);
        }
        this.state.characters = this.state.characters.filter((c) => c.id !== character.id);
        this.byId.delete(character.id);
        this.lastViews.delete(character.id);
        return;
      }
      case 'characterUpdated': {
        const character = this.byId.get(input.character.id);
        if (!character) throw new Error(`character ${input.character.id} is not in the scene`);
        character.name = input.character.name;
        character.home = input.character.home ?? null;
        return;
      }
      case 'audience': {
        if (!Number.isInteger(input.visitors) || input.visitors < 0)
          throw new Error(`visitors must be a whole number, got ${input.visitors}`);
        this.state.visitors = input.visitors;
        return;
      }
      case 'llmAvailability': {
        this.state.llmAvailable = input.available === true;
        return;
      }
      default: {
        const unknown: { type?: unknown } = input;
        throw new Error(`unknown input type ${String(unknown.type)}`);
      }
    }
  }

  // ---- economy ------------------------------------------------------------------------

  /** Books a line's tokens (prompt + completion from its meta) at clock time `now`. */
  private spend(now: number, meta: Record<string, unknown> | null | undefined): void {
    if (!meta) return;
    const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
    const tokens = count(meta.promptTokens) + count(meta.completionTokens);
    if (tokens > 0) (this.state.tokenLedger ??= []).push([now, tokens]);
  }

  /** Tokens spent in the window ending at `now`; older entries are forgotten. */
  tokensSpent(now: number): number {
    const ledger = (this.state.tokenLedger ??= []);
    const from = now - this.options.budgetWindowMs;
    while (ledger.length > 0 && ledger[0][0] <= from) ledger.shift();
    return ledger.reduce((sum, [, tokens]) => sum + tokens, 0);
  }

  budgetExhausted(now: number): boolean {
    return this.options.budgetTokens > 0 && this.tokensSpent(now) >= this.options.budgetTokens;
  }

  private reportBudget(now: number, events: SimEvent[]): void {
    const exhausted = this.budgetExhausted(now);
    if (exhausted === this.budgetWasExhausted) return;
    this.budgetWasExhausted = exhausted;
    events.push({ type: 'budget', exhausted, spent: this.tokensSpent(now), limit: this.options.budgetTokens });
  }

  /** Nobody watching: conversations are rarer and cooldowns longer, by this factor. */
  private get slowdown(): number {
    return (this.state.visitors ?? 0) > 0 ? 1 : Math.max(1, this.options.unwatchedSlowdown);
  }

  /** Whether a line request is still awaited (its answer would be used). */
  isPending(opId: string): boolean {
    return this.findByOp(opId) !== undefined;
  }

  private findByOp(opId: string): ConversationState | undefined {
    return this.state.conversations.find((c) => c.pending?.opId === opId);
  }

  // ---- conversations ------------------------------------------------------------------

  private advanceConversation(conversation: ConversationState, now: number, events: SimEvent[]): void {
    const { pending } = conversation;
    if (pending && now > pending.deadline) {
      events.push({ type: 'opDropped', opId: pending.opId, reason: 'timeout' });
      this.retryOrEnd(conversation, now, events, 'timeout');
      if (!this.state.conversations.includes(conversation)) return;
    }
    // Due at the tick nearest to the end of the reading time, not the first tick after it:
    // waiting for the next tick would add half a tick to every line on average.
    if (now + this.options.tickMs / 2 < conversation.showUntil) return;
    if (conversation.endAfterShown) {
      this.endConversation(conversation, conversation.endAfterShown, events);
      return;
    }
    const ready = conversation.ready;
    if (ready) {
      conversation.ready = null;
      this.showLine(conversation, ready, now, events);
      return;
    }
    // The bubble has been read and the next line is not here yet: the speaker visibly thinks.
    if (conversation.pending) {
      const speaker = this.byId.get(conversation.pending.speakerId);
      if (speaker) speaker.action = 'thinking';
    }
  }

  private showLine(
    conversation: ConversationState,
    line: NonNullable<ConversationState['ready']>,
    now: number,
    events: SimEvent[],
  ): void {
    const tick = this.state.tick;
    conversation.lines.push({ characterId: line.speakerId, text: line.text, emotion: line.emotion, tick });
    if (conversation.lines.length > this.options.historyLines) conversation.lines.shift();
    conversation.turns += 1;
    conversation.showUntil = now + this.readingMs(line.text);
    const speaker = this.byId.get(line.speakerId);
    if (speaker) {
      speaker.action = 'talking';
      speaker.mood = line.emotion;
    }
    events.push({
      type: 'lineShown',
      conversationId: conversation.id,
      characterId: line.speakerId,
      text: line.text,
      emotion: line.emotion,
      action: line.action,
      tick,
      at: now,
      meta: line.meta,
    });
    if (line.endConversation) {
      conversation.endAfterShown = 'goodbye';
    } else if (conversation.turns >= this.options.maxTurns) {
      conversation.endAfterShown = 'max-turns';
    } else if (this.budgetExhausted(now)) {
      // The budget is spent: this line is the last one asked for until the window frees.
      conversation.endAfterShown = 'budget';
    } else {
      // Ask for the reply now, while this line is being read, to hide the model's latency.
      const next =
        conversation.participants[0] === line.speakerId ? conversation.participants[1] : conversation.participants[0];
      this.requestLine(conversation, next, now, events, 0);
    }
  }

  /** Reading time of a bubble, so conversations flow at reading speed. */
  readingMs(text: string): number {
    const { readingCharsPerSecond, minReadingMs, maxReadingMs } = this.options;
    return Math.min(maxReadingMs, Math.max(minReadingMs, Math.round((text.length / readingCharsPerSecond) * 1000)));
  }

  private requestLine(
    conversation: ConversationState,
    speakerId: string,
    now: number,
    events: SimEvent[],
    attempt: number,
    /** A retry keeps the first request's deadline: one line never waits longer than lineTimeoutMs. */
    firstDeadline?: number,
  ): void {
    const partnerId =
      conversation.participants[0] === speakerId ? conversation.participants[1] : conversation.participants[0];
    this.state.opCounter += 1;
    const opId = `${conversation.id}#${this.state.opCounter}`;
    const deadline = firstDeadline ?? now + this.options.lineTimeoutMs;
    conversation.pending = { opId, speakerId, deadline, attempt };
    events.push({
      type: 'lineRequested',
      opId,
      conversationId: conversation.id,
      speakerId,
      partnerId,
      place: conversation.place,
      history: conversation.lines.map((l) => ({ ...l })),
      turn: conversation.turns,
      maxTurns: this.options.maxTurns,
      deadline,
    });
    events.push({ type: 'typing', conversationId: conversation.id, characterId: speakerId });
  }

  /**
   * A failed request is asked again (up to `lineRetries` times) within what is left of its
   * deadline; a request that ran out of time is not: its time is spent. So the wait for one
   * line is bounded by `lineTimeoutMs`, whatever the agent retries inside it.
   */
  private retryOrEnd(conversation: ConversationState, now: number, events: SimEvent[], reason: EndReason): void {
    const pending = conversation.pending;
    conversation.pending = null;
    if (pending && pending.attempt < this.options.lineRetries && now < pending.deadline) {
      this.requestLine(conversation, pending.speakerId, now, events, pending.attempt + 1, pending.deadline);
      return;
    }
    this.endConversation(conversation, reason, events);
  }

  private endConversation(conversation: ConversationState, reason: EndReason, events: SimEvent[]): void {
    const tick = this.state.tick;
    this.state.conversations = this.state.conversations.filter((c) => c !== conversation);
    for (const id of conversation.participants) {
      const character = this.byId.get(id);
      if (!character) continue;
      character.conversationId = null;
      character.action = 'idle';
      character.cooldownUntilTick = tick + this.options.cooldownTicks * this.slowdown;
      character.idleUntilTick = tick + this.rng.int(1, 4);
    }
    this.state.lastPairTalk[pairKey(conversation.participants[0], conversation.participants[1])] = tick;
    events.push({
      type: 'conversationEnded',
      conversationId: conversation.id,
      participants: conversation.participants,
      reason,
      tick,
    });
  }

  /** Ends every open conversation, as when a scene is paused. */
  endAll(reason: EndReason): SimEvent[] {
    const events: SimEvent[] = [];
    for (const conversation of [...this.state.conversations]) this.endConversation(conversation, reason, events);
    return events;
  }

  private startConversations(now: number, events: SimEvent[]): void {
    // No conversation starts while its lines could not be paid for or served.
    if (this.state.llmAvailable === false || this.budgetExhausted(now)) return;
    const free = this.state.characters.filter((c) => this.isFree(c));
    for (let i = 0; i < free.length; i++) {
      const a = free[i];
      if (a.conversationId) continue;
      for (let j = i + 1; j < free.length; j++) {
        const b = free[j];
        if (b.conversationId || a.conversationId) continue;
        if (Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y)) > this.options.conversationRadiusTiles) continue;
        const lastTalk = this.state.lastPairTalk[pairKey(a.id, b.id)];
        if (lastTalk !== undefined && this.state.tick - lastTalk < this.options.pairCooldownTicks) continue;
        const deliberate = a.approaching === b.id || b.approaching === a.id;
        if (!deliberate && !this.rng.chance(this.options.meetChancePerTick / this.slowdown)) continue;
        const initiator = b.approaching === a.id ? b : a;
        this.beginConversation(initiator, initiator === a ? b : a, now, events);
      }
    }
  }

  private isFree(c: CharacterState): boolean {
    return c.conversationId === null && this.state.tick >= c.cooldownUntilTick;
  }

  private beginConversation(initiator: CharacterState, partner: CharacterState, now: number, events: SimEvent[]): void {
    const tick = this.state.tick;
    // Ids carry the tick, which only grows, even across restarts: they never collide.
    const id = `${this.state.sceneId}:${tick}:${initiator.id}`;
    const conversation: ConversationState = {
      id,
      participants: [initiator.id, partner.id],
      place: this.world.nearestPlace(initiator.x, initiator.y),
      startedTick: tick,
      lines: [],
      turns: 0,
      pending: null,
      ready: null,
      showUntil: now,
      endAfterShown: null,
    };
    this.state.conversations.push(conversation);
    for (const [self, other] of [
      [initiator, partner],
      [partner, initiator],
    ] as const) {
      self.conversationId = id;
      self.path = [];
      self.approaching = null;
      self.action = 'talking';
      self.direction = facing(self.x, self.y, other.x, other.y, self.direction);
    }
    events.push({
      type: 'conversationStarted',
      conversationId: id,
      participants: [...conversation.participants],
      place: conversation.place,
      tick,
    });
    this.requestLine(conversation, initiator.id, now, events, 0);
  }

  // ---- movement -----------------------------------------------------------------------

  private advanceCharacter(c: CharacterState): void {
    if (c.path.length > 0) {
      const [nx, ny] = c.path.shift()!;
      c.direction = facing(c.x, c.y, nx, ny, c.direction);
      c.x = nx;
      c.y = ny;
      c.action = 'walking';
      if (c.path.length === 0) {
        c.action = 'idle';
        c.idleUntilTick = this.state.tick + this.rng.int(this.options.idleTicks[0], this.options.idleTicks[1]);
      }
      return;
    }
    if (c.action === 'walking' || c.action === 'talking' || c.action === 'thinking') c.action = 'idle';
    if (this.state.tick < c.idleUntilTick) return;
    this.chooseDestination(c);
  }

  private chooseDestination(c: CharacterState): void {
    c.approaching = null;
    if (this.isFree(c) && this.rng.chance(this.options.approachChance / this.slowdown)) {
      const candidates = this.state.characters.filter((o) => {
        if (o === c || !this.isFree(o)) return false;
        const last = this.state.lastPairTalk[pairKey(c.id, o.id)];
        return last === undefined || this.state.tick - last >= this.options.pairCooldownTicks;
      });
      if (candidates.length > 0) {
        const target = this.rng.pick(candidates);
        const path = this.pathNextTo(c, target.x, target.y);
        if (path) {
          c.path = path;
          c.approaching = target.id;
          return;
        }
      }
    }
    const here = this.world.nearestPlace(c.x, c.y);
    const options = this.world.placeNames.filter((p) => p !== here);
    if (options.length === 0) {
      c.idleUntilTick = this.state.tick + this.options.idleTicks[1];
      return;
    }
    // Characters drift home more often than anywhere else.
    const place =
      c.home && c.home !== here && this.world.places.has(c.home) && this.rng.chance(0.25)
        ? c.home
        : this.rng.pick(options);
    const [px, py] = this.world.places.get(place)!;
    const target = this.freeTileNear(px, py, c.id);
    const path = findPath(this.world, [c.x, c.y], target);
    if (path && path.length > 0) {
      c.path = path.map(([x, y]) => [x, y]);
    } else {
      c.idleUntilTick = this.state.tick + this.options.idleTicks[0];
    }
  }

  /** A path to a walkable tile next to (x, y), or null. */
  private pathNextTo(c: CharacterState, x: number, y: number): [number, number][] | null {
    for (const [dx, dy] of [
      [0, 1],
      [1, 0],
      [-1, 0],
      [0, -1],
    ]) {
      const tx = x + dx;
      const ty = y + dy;
      if (!this.world.isWalkable(tx, ty)) continue;
      const path = findPath(this.world, [c.x, c.y], [tx, ty]);
      if (path) return path.map(([px, py]) => [px, py]);
    }
    return null;
  }

  /** The place's tile, or a walkable neighbour when someone already stands there. */
  private freeTileNear(x: number, y: number, selfId: string): [number, number] {
    const taken = (tx: number, ty: number) =>
      this.state.characters.some((o) => o.id !== selfId && o.x === tx && o.y === ty);
    if (!taken(x, y)) return [x, y];
    for (let r = 1; r <= 2; r++) {
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const tx = x + dx;
          const ty = y + dy;
          if (this.world.isWalkable(tx, ty) && !taken(tx, ty)) return [tx, ty];
        }
      }
    }
    return [x, y];
  }

  private addCharacter(spec: CharacterSpec, x: number, y: number): void {
    const character: CharacterState = {
      id: spec.id,
      name: spec.name,
      home: spec.home ?? null,
      x,
      y,
      direction: 'down',
      action: 'idle',
      mood: 'calm',
      path: [],
      approaching: null,
      // Staggered first moves, so a scene does not start in lockstep.
      idleUntilTick: this.state.tick + this.rng.int(1, this.options.idleTicks[0] + 2),
      cooldownUntilTick: 0,
      conversationId: null,
    };
    this.state.characters.push(character);
    this.byId.set(spec.id, character);
  }

  private collectChanges(): CharacterView[] {
    const changed: CharacterView[] = [];
    for (const c of this.state.characters) {
      const key = `${c.x},${c.y},${c.direction},${c.action},${c.mood}`;
      if (this.lastViews.get(c.id) !== key) {
        this.lastViews.set(c.id, key);
        changed.push(view(c));
      }
    }
    return changed;
  }
}

export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function view(c: CharacterState): CharacterView {
  return { id: c.id, x: c.x, y: c.y, direction: c.direction, action: c.action, mood: c.mood };
}

function facing(fromX: number, fromY: number, toX: number, toY: number, current: Direction): Direction {
  const dx = toX - fromX;
  const dy = toY - fromY;
  if (dx === 0 && dy === 0) return current;
  if (Math.abs(dx) >= Math.abs(dy)) return dx > 0 ? 'right' : 'left';
  return dy > 0 ? 'down' : 'up';
}

/** A stable numeric seed for a scene id. */
export function seedFor(sceneId: string): number {
  return hashString(`pixeltales:${sceneId}`);
}
