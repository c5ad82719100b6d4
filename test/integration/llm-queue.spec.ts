import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DialogueService,
  LineGenerationError,
  type GeneratedLine,
  type LineRequest,
} from '../../backend/src/agents/dialogue.service.js';
import { LlmStatusService } from '../../backend/src/agents/llm-status.service.js';
import { CharactersService } from '../../backend/src/characters/characters.service.js';
import { FakeOpenAiServer } from '../fakes/fake-openai.js';
import { startApp, type RunningApp } from '../support/app.js';

/**
 * A healthy provider that takes 200 ms an answer, one slot, and more lines at once than the
 * slot can serve within their budget: waiting for the slot is congestion here, never the
 * provider's fault. Before the fix the queue timeouts were counted as provider timeouts,
 * opened the circuit and turned /api/health 503 while the provider answered every call.
 */
describe('LLM queue: waiting for a slot is not a provider failure', () => {
  let fake: FakeOpenAiServer;
  let running: RunningApp;

  beforeAll(async () => {
    fake = await new FakeOpenAiServer().start();
    fake.latencyMs = 200;
    running = await startApp({
      env: {
        LLM_MODEL: 'openai:fake-gpt',
        LLM_BASE_URL: fake.baseUrl,
        // Five times the provider's answer time: a loaded test machine does not make it time out.
        LLM_TIMEOUT_MS: '1000',
        LLM_MAX_CONCURRENCY: '1',
        LLM_BREAKER_FAILURES: '3',
        // No scenes: every call the fake sees is this suite's.
        SCENES_DIR: mkdtempSync(join(tmpdir(), 'no-scenes-')),
      },
    });
  });

  afterAll(async () => {
    await running?.close();
    await fake?.close();
  });

  it('twenty lines at once on one slot: the queue overflows, the circuit stays closed, health stays 200', async () => {
    const dialogue = running.app.get(DialogueService);
    const characters = running.app.get(CharactersService);
    const status = running.app.get(LlmStatusService);
    const [mara, otto] = [characters.get('mara'), characters.get('otto')];
    const request = (i: number): LineRequest => ({
      sceneId: 'queue',
      opId: `queue#${i}`,
      speaker: mara,
      partner: otto,
      mood: 'calm',
      place: null,
      sceneDescription: 'A town square.',
      history: [],
      memories: [],
      turn: 1,
      maxTurns: 8,
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        dialogue.generate(request(i)).catch((error: unknown) => {
          if (error instanceof LineGenerationError) return error;
          throw error;
        }),
      ),
    );
    const lines = results.filter((r): r is GeneratedLine => !(r instanceof LineGenerationError));
    const failures = results.filter((r): r is LineGenerationError => r instanceof LineGenerationError);
    // The slot serves what fits in a line's budget (2 s at 200 ms a call); the rest wait too long.
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(failures.length).toBeGreaterThanOrEqual(5);

    // No provider fault was recorded, and the circuit never opened.
    expect(status.faults.timeout).toBe(0);
    expect(status.summary().breaker).toMatchObject({ state: 'closed', opens: 0 });
    const health = await fetch(`${running.url}/api/health`);
    expect(health.status).toBe(200);
    // Each is reported as what it was: no free slot in time.
    for (const failure of failures) expect(failure.outcome).toBe('busy');
    expect(status.outcomes.busy).toBe(failures.length);

    // No call was started without the time to finish: every request the provider got was answered.
    const served = fake.chatRequests();
    expect(served.filter((r) => !r.answered)).toHaveLength(0);
    expect(served).toHaveLength(lines.length);
  });
});
