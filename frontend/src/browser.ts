/** The scene browser at /: live scenes with their cast and visitor counts, polled. */
import type { SceneSnapshot, SceneSummary } from '../../backend/src/contract/events';
import { portrait } from './art/sprites';
import { analyseMap, paintMap } from './art/tiles';
import { el, getJson, header, plural } from './dom';

const POLL_MS = 4000;

interface Card {
  root: HTMLLIElement;
  status: HTMLSpanElement;
  description: HTMLParagraphElement;
  cast: HTMLUListElement;
  visitors: HTMLSpanElement;
  name: HTMLHeadingElement;
  thumb: HTMLDivElement;
  castKey: string;
  summary: SceneSummary | null;
  preview: 'none' | 'loading' | 'done';
}

export function showBrowser(app: HTMLElement): void {
  document.title = 'PixelTales · live scenes';
  const main = el('main', 'browser');
  const intro = el('section', 'intro');
  intro.append(
    el('h1', undefined, 'Live scenes'),
    el('p', 'lede', 'Little pixel towns where AI characters wander, meet and talk. Pick a scene and listen in.'),
  );
  const list = el('ul', 'scene-list');
  list.setAttribute('aria-live', 'polite');
  const message = el('p', 'message', 'Loading scenes…');
  main.append(intro, message, list);
  app.replaceChildren(header('scenes'), main);

  const cards = new Map<string, Card>();
  const palettes = new Map<string, SceneSnapshot['characters']>();

  const makeCard = (scene: SceneSummary): Card => {
    const root = el('li', 'scene-card');
    root.dataset.sceneId = scene.id;
    const link = el('a', 'scene-link');
    link.href = `/scene/${encodeURIComponent(scene.id)}`;
    const thumb = el('div', 'thumb');
    const body = el('div', 'scene-body');
    const name = el('h2', 'scene-title');
    const status = el('span', 'badge');
    const titleRow = el('div', 'title-row');
    titleRow.append(name, status);
    const description = el('p', 'description');
    const cast = el('ul', 'cast-chips');
    cast.setAttribute('aria-label', 'Cast');
    const visitors = el('span', 'visitors');
    const footer = el('div', 'scene-foot');
    footer.append(visitors, el('span', 'watch', 'Watch →'));
    body.append(titleRow, description, cast, footer);
    link.append(thumb, body);
    root.append(link);
    return { root, status, description, cast, visitors, name, thumb, castKey: '', summary: null, preview: 'none' };
  };

  const loadPreview = async (card: Card, id: string) => {
    card.preview = 'loading';
    try {
      const snap = await getJson<SceneSnapshot>(`/api/scenes/${encodeURIComponent(id)}`);
      const picture = paintMap(analyseMap(snap.map));
      picture.className = 'pixel map-thumb';
      picture.setAttribute('role', 'img');
      picture.setAttribute('aria-label', `Map of ${snap.name}`);
      const ctx = picture.getContext('2d')!;
      for (const c of snap.characters) ctx.drawImage(portrait(c.sprite), c.x * 16, c.y * 16 - 4);
      card.thumb.replaceChildren(picture);
      palettes.set(id, snap.characters);
      card.preview = 'done';
      if (card.summary) update(card.summary, card);
    } catch {
      card.preview = 'none';
    }
  };

  const update = (scene: SceneSummary, card: Card) => {
    card.summary = scene;
    card.name.textContent = scene.name;
    card.description.textContent = scene.description;
    card.status.textContent = scene.status === 'running' ? 'Live' : 'Paused';
    card.status.className = `badge ${scene.status}`;
    card.visitors.textContent = `${plural(scene.visitorCount, 'viewer')} watching`;
    card.visitors.dataset.count = String(scene.visitorCount);
    const cast = scene.cast ?? [];
    const key = JSON.stringify([cast, palettes.has(scene.id)]);
    if (key !== card.castKey) {
      card.castKey = key;
      const sprites = new Map((palettes.get(scene.id) ?? []).map((c) => [c.id, c.sprite]));
      card.cast.replaceChildren(
        ...cast.map((member) => {
          const chip = el('li', 'chip');
          const sprite = sprites.get(member.id);
          if (sprite) chip.append(portrait(sprite));
          chip.append(el('span', undefined, member.name));
          return chip;
        }),
      );
      if (!cast.length) card.cast.append(el('li', 'chip muted', plural(scene.characterCount, 'character')));
    }
    if (card.preview === 'none') void loadPreview(card, scene.id);
  };

  let failures = 0;
  const poll = async () => {
    try {
      const scenes = await getJson<SceneSummary[]>('/api/scenes');
      failures = 0;
      scenes.sort(
        (a, b) =>
          Number(b.status === 'running') - Number(a.status === 'running') ||
          b.visitorCount - a.visitorCount ||
          a.name.localeCompare(b.name),
      );
      message.hidden = scenes.length > 0;
      message.textContent = 'No scenes yet. An author can create one.';
      const seen = new Set<string>();
      scenes.forEach((scene) => {
        seen.add(scene.id);
        let card = cards.get(scene.id);
        if (!card) {
          card = makeCard(scene);
          cards.set(scene.id, card);
        }
        update(scene, card);
      });
      for (const [id, card] of cards)
        if (!seen.has(id)) {
          card.root.remove();
          cards.delete(id);
        }
      // Order as sorted, moving only what moved.
      scenes.forEach((scene, i) => {
        const node = cards.get(scene.id)!.root;
        if (list.children[i] !== node) list.insertBefore(node, list.children[i] ?? null);
      });
    } catch {
      failures += 1;
      message.hidden = false;
      message.textContent =
        failures > 1 || cards.size ? "Can't reach the server right now; retrying…" : 'Loading scenes…';
    } finally {
      setTimeout(() => void poll(), document.hidden ? POLL_MS * 3 : POLL_MS);
    }
  };
  void poll();
}
