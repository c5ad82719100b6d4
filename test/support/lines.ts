import type { LinePayload } from '../../backend/src/contract/events.js';

/** Every stored line of a scene, through the public paged API. */
export async function allLines(url: string, sceneId: string): Promise<LinePayload[]> {
  const all: LinePayload[] = [];
  let before: number | undefined;
  for (;;) {
    const page = (await (
      await fetch(`${url}/api/scenes/${sceneId}/lines?limit=200${before ? `&before=${before}` : ''}`)
    ).json()) as LinePayload[];
    all.push(...page);
    if (page.length < 200) return all;
    before = page[page.length - 1].lineId;
  }
}
