import { io, type Socket } from 'socket.io-client';
import { mountAuthor } from './author/author';
import type { ClientToServerEvents, LinePayload, SceneSnapshot, SceneSummary, ServerToClientEvents } from '../../backend/src/contract/events';

/**
 * A minimal viewer: the scene list and a plain canvas live view. It renders only what the
 * server says. Text from the server is always set as text, never as HTML.
 */
const app = document.querySelector<HTMLDivElement>('#app')!;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

async function showList(): Promise<void> {
  app.replaceChildren(el('h1', 'PixelTales'), el('p', 'Live scenes', 'status'));
  const scenes = (await (await fetch('/api/scenes')).json()) as SceneSummary[];
  const list = el('ul', undefined, 'scene-list');
  for (const scene of scenes) {
    const item = el('li');
    const link = el('a', scene.name);
    link.href = `/scene/${encodeURIComponent(scene.id)}`;
    item.append(link, el('p', scene.description), el('p', `${scene.characterCount} characters · ${scene.visitorCount} watching`, 'status'));
    list.append(item);
  }
  app.append(list);
}

const TILE_COLORS: Record<string, string> = { '#': '#5b4a3f', '.': '#c9b79c', ',': '#5d9c4a', ':': '#a89a84', '+': '#8a5a2b', '*': '#d96fa0', '~': '#3f7fbf', T: '#2f6b35', '=': '#8a5a2b', h: '#b08a5a', b: '#7a5230', o: '#6d6d7a' };
const TILE = 16;

function showScene(sceneId: string): void {
  const title = el('h1', 'PixelTales');
  const status = el('p', 'connecting…', 'status');
  const canvas = el('canvas');
  const transcript = el('div', undefined, 'transcript');
  transcript.setAttribute('aria-live', 'polite');
  const live = el('div', undefined, 'live');
  live.append(canvas, transcript);
  app.replaceChildren(title, status, live);
  const ctx = canvas.getContext('2d')!;
  let snapshot: SceneSnapshot | null = null;
  const seen = new Set<number>();
  const bubbles = new Map<string, { text: string; until: number }>();

  const addLine = (line: LinePayload) => {
    if (seen.has(line.lineId)) return;
    seen.add(line.lineId);
    const name = snapshot?.characters.find((c) => c.id === line.characterId)?.name ?? line.characterId;
    transcript.append(el('p', `${name} (${line.emotion}): ${line.text}`));
    transcript.scrollTop = transcript.scrollHeight;
    bubbles.set(line.characterId, { text: line.text, until: performance.now() + 5000 });
  };

  const draw = () => {
    if (snapshot) {
      const { map } = snapshot;
      canvas.width = map[0].length * TILE;
      canvas.height = map.length * TILE;
      map.forEach((row, y) => [...row].forEach((t, x) => {
        ctx.fillStyle = TILE_COLORS[t] ?? '#000';
        ctx.fillRect(x * TILE, y * TILE, TILE, TILE);
      }));
      ctx.font = '10px sans-serif';
      for (const c of snapshot.characters) {
        ctx.fillStyle = c.sprite.shirt;
        ctx.fillRect(c.x * TILE + 3, c.y * TILE + 2, 10, 12);
        ctx.fillStyle = '#fff';
        ctx.fillText(c.name, c.x * TILE - 4, c.y * TILE - 2);
        const bubble = bubbles.get(c.id);
        if (bubble && bubble.until > performance.now()) ctx.fillText(`“${bubble.text.slice(0, 40)}”`, c.x * TILE - 20, c.y * TILE - 12);
      }
    }
    requestAnimationFrame(draw);
  };
  requestAnimationFrame(draw);

  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ transports: ['websocket'] });
  socket.on('connect', () => {
    socket.emit('scene:join', { sceneId }, async (ack) => {
      if (!ack.ok) {
        status.textContent = ack.error.message;
        return;
      }
      snapshot = ack.snapshot;
      title.textContent = snapshot.name;
      status.textContent = `live · ${snapshot.visitorCount} watching`;
      const history = (await (await fetch(`/api/scenes/${encodeURIComponent(sceneId)}/lines?limit=50`)).json()) as LinePayload[];
      for (const line of history.reverse()) addLine(line);
    });
  });
  socket.on('disconnect', () => (status.textContent = 'reconnecting…'));
  socket.on('scene:tick', (tick) => {
    if (!snapshot) return;
    for (const change of tick.characters) {
      const c = snapshot.characters.find((x) => x.id === change.id);
      if (c) Object.assign(c, change);
    }
  });
  socket.on('conversation:line', addLine);
  socket.on('scene:visitors', (v) => (status.textContent = `live · ${v.count} watching`));
}

const match = /^\/scene\/([^/]+)$/.exec(location.pathname);
if (location.pathname === '/author') mountAuthor(app);
else if (match) showScene(decodeURIComponent(match[1]));
else void showList();
