import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, waitFor, type RunningApp } from '../support/app.js';
import { RecordingClient } from '../support/socket.js';

/** The value of one sample line `name{labels} value` in Prometheus text, or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  let running: RunningApp;
  let client: RecordingClient;

  beforeAll(async () => {
    running = await startApp();
    client = new RecordingClient(running.url);
    await client.connected();
    expect((await client.join('town-square')).ok).toBe(true);
    await waitFor(() => client.lines.length >= 2, 30_000, 'two lines');
  });
  afterAll(async () => {
    client?.close();
    await running?.close();
  });

  it('serves every series in Prometheus text, outside /api and without a token', async () => {
    const res = await fetch(`${running.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const scene = 'scene="town-square"';
    // Tick duration and lateness histograms, per scene.
    expect(sample(text, 'pixeltales_tick_duration_seconds_count', scene)).toBeGreaterThan(0);
    expect(sample(text, 'pixeltales_tick_lateness_seconds_count', scene)).toBeGreaterThan(0);
    expect(text).toMatch(/pixeltales_tick_duration_seconds_bucket\{le="0\.005",scene="town-square"\} \d+/);
    // Scenes, characters, viewers.
    expect(sample(text, 'pixeltales_scenes', 'status="running"')).toBe(1);
    expect(sample(text, 'pixeltales_characters', scene)).toBe(4);
    expect(sample(text, 'pixeltales_viewers', scene)).toBe(1);
    // Lines: at least what this client has seen (a line is counted once committed, before it is sent).
    expect(sample(text, 'pixeltales_lines_total', scene)).toBeGreaterThanOrEqual(client.lines.length);
    // LLM calls by outcome, latency, tokens, queue depth.
    expect(sample(text, 'pixeltales_llm_calls_total', 'outcome="ok"')).toBeGreaterThanOrEqual(client.lines.length);
    expect(sample(text, 'pixeltales_llm_calls_total', 'outcome="timeout"')).toBe(0);
    expect(sample(text, 'pixeltales_llm_call_duration_seconds_count', 'outcome="ok"')).toBeGreaterThan(0);
    expect(sample(text, 'pixeltales_llm_tokens_total', 'kind="prompt"')).toBeGreaterThan(0);
    expect(sample(text, 'pixeltales_llm_tokens_total', 'kind="completion"')).toBeGreaterThan(0);
    expect(sample(text, 'pixeltales_llm_queue_depth')).toBeGreaterThanOrEqual(0);
    // Database write latency.
    expect(sample(text, 'pixeltales_db_write_duration_seconds_count', 'outcome="ok"')).toBeGreaterThan(0);
    // Default process metrics.
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('nodejs_heap_size_used_bytes');
  });

  it('counts grow between scrapes and follow viewers leaving', async () => {
    const before = await (await fetch(`${running.url}/metrics`)).text();
    const seen = client.lines.length;
    await waitFor(() => client.lines.length > seen, 30_000, 'another line');
    client.close();
    const after = await waitFor(
      async () => {
        const text = await (await fetch(`${running.url}/metrics`)).text();
        return sample(text, 'pixeltales_viewers', 'scene="town-square"') === 0 && text;
      },
      5_000,
      'the viewer gauge to drop',
    );
    const lines = (t: string) => sample(t, 'pixeltales_lines_total', 'scene="town-square"')!;
    const calls = (t: string) => sample(t, 'pixeltales_llm_calls_total', 'outcome="ok"')!;
    expect(lines(after)).toBeGreaterThan(lines(before));
    expect(calls(after)).toBeGreaterThan(calls(before));
  });
});
