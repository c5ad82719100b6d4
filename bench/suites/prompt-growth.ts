/**
 * 6. Prompt growth: prompt tokens per line at a character's 10th, 100th and 1,000th line,
 * over one long simulated life in the town square: the real engine, the real
 * DialogueService (offline model, so usage is its token count of the real prompt),
 * memories from the real ConversationsService on a SQLite file, ticks committed as the
 * runner commits them. No wall clock: a manual one, advanced a tick at a time.
 *
 * Baseline: the same requests with unbounded memory (every line the pair ever exchanged
 * handed back as memories), as a naive "remember everything" design would do; its tokens
 * are counted the way the offline model counts (characters / 4).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../backend/src/config/app-config.js';
import { dataSourceOptions } from '../../backend/src/database/data-source.js';
import { ConversationsRepository } from '../../backend/src/conversations/conversations.repository.js';
import { TickBatchWriter, type TickBatch } from '../../backend/src/scenes/tick-batch.js';
import { ConversationsService } from '../../backend/src/conversations/conversations.service.js';
import { ConversationEntity } from '../../backend/src/conversations/conversation.entity.js';
import { LineEntity } from '../../backend/src/conversations/line.entity.js';
import { SceneEntity } from '../../backend/src/scenes/scene.entity.js';
import { parseCharacterFile, type CharacterDefinition } from '../../backend/src/characters/character-definition.js';
import { ChatModelFactory } from '../../backend/src/agents/model-factory.js';
import { DialogueService, type LineRequest } from '../../backend/src/agents/dialogue.service.js';
import { LlmStatusService } from '../../backend/src/agents/llm-status.service.js';
import { PromptTemplatesService } from '../../backend/src/agents/prompt-templates.service.js';
import { SceneSimulation } from '../../backend/src/simulation/engine.js';
import type { SimInput } from '../../backend/src/simulation/types.js';
import { DEMO_CHARACTERS, ROOT, demoScene } from '../lib/fixtures.js';
import { report, row, type BenchRow } from '../lib/result.js';
import { fmt, mean } from '../lib/stats.js';

const TICK_MS = 500;
const SUBJECT = 'mara';
const CHECKPOINTS = [10, 100, 1_000];
/** Lines averaged around each checkpoint: a prompt's size depends on the turn it is for. */
const WINDOW_LINES = 20;
const MAX_TICKS = 400_000;
const TOLERANCE = 0.1;

const dir = mkdtempSync(join(tmpdir(), 'pixeltales-bench-prompt-'));
const ds = new DataSource(dataSourceOptions({ type: 'sqlite', path: join(dir, 'life.sqlite') }));
await ds.initialize();
try {
  const spec = demoScene();
  await ds.getRepository(SceneEntity).insert({
    id: spec.id,
    name: spec.name,
    description: spec.description,
    map: spec.map,
    places: spec.places,
    cast: spec.cast,
    status: 'running',
    tick: 0,
    state: null,
    source: 'file',
  });
  const conversations = new ConversationsService(
    new ConversationsRepository(ds.getRepository(LineEntity), ds.getRepository(ConversationEntity)),
  );
  const writer = new TickBatchWriter(ds);
  const config = loadConfig({
    PROMPTS_DIR: join(ROOT, 'prompts'),
    LLM_MODEL: 'offline:storyteller',
    LOG_LEVEL: 'silent',
  });
  const templates = new PromptTemplatesService(config);
  await templates.load();
  const dialogue = new DialogueService(config, new ChatModelFactory(config), templates, new LlmStatusService(config));
  const defs = new Map<string, CharacterDefinition>();
  for (const c of DEMO_CHARACTERS) {
    const path = join(ROOT, 'prompts/characters', `${c.id}.md`);
    defs.set(c.id, parseCharacterFile(path, c.id, readFileSync(path, 'utf8')));
  }
  const names = new Map([...defs.values()].map((d) => [d.id, d.name]));
  const sim = new SceneSimulation(spec, DEMO_CHARACTERS, { tickMs: TICK_MS }, spec.id);
  /** Every line ever said, per unordered pair: what unbounded memory would hand back. */
  const everything = new Map<string, string[]>();
  const pair = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

  const ours: number[] = [];
  const naive: number[] = [];
  let inputs: SimInput[] = [];
  let now = 1_700_000_000_000;
  const goal = CHECKPOINTS[CHECKPOINTS.length - 1] + WINDOW_LINES / 2;
  let ticks = 0;
  const started = performance.now();
  while (ours.length < goal && ticks < MAX_TICKS) {
    ticks++;
    now += TICK_MS;
    const result = sim.tick(now, inputs);
    inputs = [];
    const batch: TickBatch = { sceneId: spec.id, tick: result.tick, started: [], lines: [], ended: [] };
    for (const event of result.events) {
      if (event.type === 'conversationStarted') {
        batch.started.push({
          id: event.conversationId,
          sceneId: spec.id,
          participants: [...event.participants],
          place: event.place,
          startedTick: event.tick,
          startedAt: now,
        });
      } else if (event.type === 'lineShown') {
        batch.lines.push({
          sceneId: spec.id,
          conversationId: event.conversationId,
          characterId: event.characterId,
          text: event.text,
          emotion: event.emotion,
          action: event.action,
          tick: event.tick,
          at: event.at,
          model: null,
          promptTokens: null,
          completionTokens: null,
          latencyMs: null,
        });
      } else if (event.type === 'conversationEnded') {
        batch.ended.push({ id: event.conversationId, endedTick: event.tick, endedAt: now, endReason: event.reason });
      }
    }
    if (batch.started.length + batch.lines.length + batch.ended.length > 0) {
      await writer.commit(batch);
      for (const line of batch.lines) {
        const partner = sim
          .conversations()
          .find((c) => c.id === line.conversationId)
          ?.participants.find((p) => p !== line.characterId);
        if (partner) {
          const key = pair(line.characterId, partner);
          everything.set(key, [
            ...(everything.get(key) ?? []),
            `${line.characterId === SUBJECT ? 'you' : names.get(line.characterId)} said "${line.text}"`,
          ]);
        }
      }
    }
    for (const event of result.events) {
      if (event.type !== 'lineRequested') continue;
      const speaker = defs.get(event.speakerId)!;
      const partner = defs.get(event.partnerId)!;
      const request: LineRequest = {
        sceneId: spec.id,
        opId: event.opId,
        speaker,
        partner,
        mood: sim.characters().find((c) => c.id === speaker.id)?.mood ?? 'calm',
        place: event.place,
        sceneDescription: spec.description,
        history: event.history.map((l) => ({ characterId: l.characterId, text: l.text })),
        memories: await conversations.memories(spec.id, speaker.id, partner.id, names),
        turn: event.turn,
        maxTurns: event.maxTurns,
      };
      const line = await dialogue.generate(request);
      if (speaker.id === SUBJECT) {
        ours.push(line.usage.promptTokens);
        const all = everything.get(pair(speaker.id, partner.id)) ?? [];
        // One memory per past line: the template caps each memory's length, not their number.
        const unbounded = dialogue.buildMessages({ ...request, memories: all });
        naive.push(
          Math.ceil(
            unbounded.reduce(
              (n, m) => n + (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)).length,
              0,
            ) / 4,
          ),
        );
      }
      inputs.push({
        type: 'lineResult',
        opId: event.opId,
        say: line.say,
        emotion: line.emotion,
        action: line.action ?? null,
        endConversation: line.endConversation,
      });
    }
  }
  process.stderr.write(
    `prompt growth: ${ours.length} lines of ${SUBJECT} in ${ticks} ticks, ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  const around = (values: number[], n: number) =>
    mean(values.slice(Math.max(0, n - WINDOW_LINES / 2 - 1), n + WINDOW_LINES / 2 - 1));
  const first = around(ours, CHECKPOINTS[0]);
  const rows: BenchRow[] = CHECKPOINTS.map((n) => {
    const value = around(ours, n);
    const base = around(naive, n);
    const drift = value / first - 1;
    process.stderr.write(`  line ${n}: ${fmt(value)} tokens (unbounded memory: ${fmt(base)})\n`);
    return row({
      section: '6. Prompt growth',
      metric: `prompt tokens / line at line ${n.toLocaleString('en-US')} of ${SUBJECT}'s life`,
      value,
      baseline: base,
      baselineLabel: 'unbounded memory (all past lines of the pair)',
      target: `within ±10% of line ${CHECKPOINTS[0]}`,
      met: ours.length >= n ? Math.abs(drift) <= TOLERANCE : false,
      note: `${drift >= 0 ? '+' : ''}${(drift * 100).toFixed(1)}% vs line ${CHECKPOINTS[0]}${ours.length < n ? ` (only ${ours.length} lines reached)` : ''}`,
    });
  });
  report({
    suite: 'prompt-growth',
    rows,
    details: `Prompt growth: one life of ${SUBJECT} in the town square (engine + DialogueService with the offline model + memories from ConversationsService on SQLite, ${ticks.toLocaleString('en-US')} ticks on a manual clock). Tokens are the offline model's usage of the real prompt (characters / 4), averaged over the ${WINDOW_LINES} lines around each checkpoint, since the size of a prompt depends on the turn within its conversation. Baseline: the same request with every line the pair ever exchanged as memory.`,
    series: {
      ours: ours.map((y, i) => ({ x: i + 1, y })).filter((_, i) => i % 10 === 0),
      naive: naive.map((y, i) => ({ x: i + 1, y })).filter((_, i) => i % 10 === 0),
    },
  });
} finally {
  await ds.destroy();
  rmSync(dir, { recursive: true, force: true });
}
