/**
 * The DOM layer over the canvas: name labels with mood icons, speech bubbles with tails,
 * and "thinking" bubbles. DOM text stays crisp at any zoom and is easy to read for tests
 * and screen readers; positions come from the stage every frame.
 */
import { moodIcon, moodIconUrl } from '../art/sprites';
import { el, svg } from '../dom';
import { overlaps, placeBubbles, SpeechQueues, type BubbleInput, type Placement, type Rect } from './bubbles';

export interface FrameCharacter {
  id: string;
  /** Screen point just above the head, and the feet, in CSS pixels of the stage. */
  headX: number;
  headY: number;
  footX: number;
  footY: number;
  onScreen: boolean;
}

export interface StageFrame {
  width: number;
  height: number;
  zoom: number;
  characters: FrameCharacter[];
}

export interface OverlayCharacter {
  id: string;
  name: string;
  mood: string;
  /** Name colour on the dark UI and on a white bubble. */
  colorOnDark: string;
  colorOnLight: string;
}

interface BubbleView {
  key: string;
  el: HTMLDivElement;
  tail: SVGSVGElement;
  polygon: SVGPolygonElement;
  lines: SVGPolylineElement;
  w: number;
  h: number;
  prev?: { x: number; y: number; below: boolean };
  lineId: number | null;
  characterId: string;
  text: string;
}

export interface VisibleBubble {
  kind: 'speech' | 'thinking';
  lineId: number | null;
  characterId: string;
  text: string;
  rect: Rect;
}

/** Moves an element, touching the DOM only when it really moved. */
function moveTo(node: HTMLElement | SVGElement, x: number, y: number): void {
  const transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  if (node.style.transform !== transform) node.style.transform = transform;
}

export class Overlay {
  readonly root: HTMLDivElement;
  readonly speech = new SpeechQueues();
  private readonly thinking = new Set<string>();
  private readonly characters = new Map<string, OverlayCharacter>();
  private readonly labels = new Map<
    string,
    { el: HTMLDivElement; icon: HTMLImageElement; name: HTMLSpanElement; w: number; h: number }
  >();
  private readonly bubbles = new Map<string, BubbleView>();
  private placements: Placement[] = [];
  private visible: VisibleBubble[] = [];
  private maxBubbleWidth = 220;

  constructor(parent: HTMLElement) {
    this.root = el('div', 'overlay');
    this.root.setAttribute('aria-hidden', 'true');
    parent.append(this.root);
  }

  setCharacters(list: OverlayCharacter[]): void {
    const ids = new Set(list.map((c) => c.id));
    for (const [id, label] of this.labels)
      if (!ids.has(id)) {
        label.el.remove();
        this.labels.delete(id);
      }
    for (const c of list) {
      this.characters.set(c.id, c);
      let label = this.labels.get(c.id);
      if (!label) {
        const icon = moodIcon(c.mood);
        const name = el('span', 'name');
        const node = el('div', 'label');
        node.dataset.characterId = c.id;
        node.append(icon, name);
        this.root.append(node);
        label = { el: node, icon, name, w: 0, h: 0 };
        this.labels.set(c.id, label);
      }
      if (label.name.textContent !== c.name) {
        label.name.textContent = c.name;
        label.w = 0;
      }
      label.name.style.color = c.colorOnDark;
      this.setMood(c.id, c.mood);
    }
  }

  setMood(id: string, mood: string): void {
    const c = this.characters.get(id);
    const label = this.labels.get(id);
    if (c) c.mood = mood;
    if (label && label.icon.dataset.mood !== mood) {
      label.icon.src = moodIconUrl(mood);
      label.icon.dataset.mood = mood;
      label.icon.title = mood;
    }
  }

  setThinking(id: string, on: boolean): void {
    if (on) this.thinking.add(id);
    else this.thinking.delete(id);
  }

  isThinking(id: string): boolean {
    return this.thinking.has(id);
  }

  bubblesShown(): VisibleBubble[] {
    return this.visible;
  }

  private makeBubble(key: string, characterId: string, lineId: number | null, text: string): BubbleView {
    const node = el('div', lineId === null ? 'bubble thinking' : 'bubble');
    node.dataset.characterId = characterId;
    if (lineId === null) {
      node.append(el('i'), el('i'), el('i'));
    } else {
      node.dataset.lineId = String(lineId);
      const who = el('span', 'who', this.characters.get(characterId)?.name ?? characterId);
      who.style.color = this.characters.get(characterId)?.colorOnLight ?? '';
      node.append(who, el('span', 'text', text));
    }
    node.style.maxWidth = `${this.maxBubbleWidth}px`;
    const tail = svg('svg', { class: 'tail' });
    const polygon = svg('polygon');
    const lines = svg('polyline');
    tail.append(polygon, lines);
    this.root.append(node, tail);
    // Measured once: its size does not change while it is up.
    const view: BubbleView = {
      key,
      el: node,
      tail,
      polygon,
      lines,
      w: node.offsetWidth,
      h: node.offsetHeight,
      lineId,
      characterId,
      text,
    };
    this.bubbles.set(key, view);
    return view;
  }

  /** Lays everything out for one rendered frame. */
  render(frame: StageFrame, now: number): void {
    const maxWidth = Math.max(120, Math.min(240, Math.floor(frame.width * 0.42)));
    if (maxWidth !== this.maxBubbleWidth) {
      this.maxBubbleWidth = maxWidth;
      for (const b of this.bubbles.values()) this.removeBubble(b);
    }
    const byId = new Map(frame.characters.map((c) => [c.id, c]));

    // Name labels under the feet; beside or above them when that would cover someone.
    const labelRects: Rect[] = [];
    const labelById = new Map<string, Rect>();
    const bodies = new Map(
      frame.characters
        .filter((c) => c.onScreen)
        .map((c) => [
          c.id,
          { x: c.footX - 7 * frame.zoom, y: c.headY + 2, w: 14 * frame.zoom, h: c.footY - c.headY - 2 },
        ]),
    );
    const sorted = [...frame.characters].sort((a, b) => a.footY - b.footY);
    for (const c of sorted) {
      const label = this.labels.get(c.id);
      if (!label) continue;
      if (!c.onScreen) {
        label.el.hidden = true;
        continue;
      }
      label.el.hidden = false;
      if (!label.w) [label.w, label.h] = [label.el.offsetWidth, label.el.offsetHeight];
      const { w, h } = label;
      const side = 6 * frame.zoom;
      const candidates: Rect[] = [
        { x: c.footX - w / 2, y: c.footY + 1, w, h },
        { x: c.footX + side, y: c.footY - h, w, h },
        { x: c.footX - side - w, y: c.footY - h, w, h },
        { x: c.footX - w / 2, y: c.headY - h - 1, w, h },
      ].map((r) => ({ ...r, x: Math.round(r.x), y: Math.round(r.y) }));
      const others = [...bodies].filter(([id]) => id !== c.id).map(([, r]) => r);
      const free = (r: Rect) => !labelRects.some((o) => overlaps(r, o, 1));
      let rect = candidates.find((r) => free(r) && !others.some((o) => overlaps(r, o))) ?? candidates.find(free);
      if (!rect) {
        rect = { ...candidates[0] };
        for (let i = 0; i < 3 && !free(rect); i++) rect.y += h;
      }
      labelRects.push(rect);
      labelById.set(c.id, rect);
      moveTo(label.el, rect.x, rect.y);
    }

    // Bubbles: what is being said, and who is thinking (unless they are already speaking).
    const wanted: { key: string; characterId: string; lineId: number | null; text: string }[] = [];
    for (const s of this.speech.current(now))
      if (byId.has(s.characterId))
        wanted.push({ key: `line:${s.lineId}`, characterId: s.characterId, lineId: s.lineId, text: s.text });
    for (const id of this.thinking)
      if (byId.has(id) && !this.speech.speaking(id))
        wanted.push({ key: `think:${id}`, characterId: id, lineId: null, text: '' });
    const keys = new Set(wanted.map((w) => w.key));
    for (const b of [...this.bubbles.values()]) if (!keys.has(b.key)) this.removeBubble(b);

    const inputs: BubbleInput[] = [];
    const views: BubbleView[] = [];
    for (const w of wanted) {
      const view = this.bubbles.get(w.key) ?? this.makeBubble(w.key, w.characterId, w.lineId, w.text);
      const c = byId.get(w.characterId)!;
      const label = labelById.get(c.id);
      inputs.push({
        key: w.key,
        headX: c.headX,
        headY: c.headY,
        footY: Math.max(c.footY, label && label.y > c.footY - label.h - 1 ? label.y + label.h : 0),
        w: view.w,
        h: view.h,
        prev: view.prev,
      });
      views.push(view);
    }
    const heads: Rect[] = frame.characters
      .filter((c) => c.onScreen)
      .map((c) => ({ x: c.headX - 8 * frame.zoom, y: c.headY, w: 16 * frame.zoom, h: c.footY - c.headY }));
    this.placements = placeBubbles({ w: frame.width, h: frame.height }, inputs, [...heads, ...labelRects]);
    this.visible = [];
    this.placements.forEach((p, i) => {
      const view = views[i];
      view.prev = { x: p.x, y: p.y, below: p.below };
      moveTo(view.el, p.x, p.y);
      if (view.el.classList.contains('below') !== p.below) view.el.classList.toggle('below', p.below);
      this.drawTail(view, p);
      this.visible.push({
        kind: view.lineId === null ? 'thinking' : 'speech',
        lineId: view.lineId,
        characterId: view.characterId,
        text: view.text,
        rect: { x: p.x, y: p.y, w: p.w, h: p.h },
      });
    });
  }

  private drawTail(view: BubbleView, p: Placement): void {
    const half = 5;
    const inset = 2;
    const baseY = p.below ? p.baseY + inset : p.baseY - inset;
    const left = Math.min(p.baseX - half, p.tipX) - 2;
    const top = Math.min(baseY, p.tipY) - 2;
    const width = Math.max(p.baseX + half, p.tipX) - left + 2;
    const height = Math.max(baseY, p.tipY) - top + 2;
    moveTo(view.tail, left, top);
    const a = `${p.baseX - half - left},${baseY - top}`;
    const b = `${p.baseX + half - left},${baseY - top}`;
    const tip = `${p.tipX - left},${p.tipY - top}`;
    const points = `${a} ${tip} ${b}`;
    if (view.polygon.getAttribute('points') === points && view.tail.getAttribute('width') === String(width)) return;
    view.tail.setAttribute('width', String(width));
    view.tail.setAttribute('height', String(height));
    view.polygon.setAttribute('points', points);
    view.lines.setAttribute('points', points);
  }

  private removeBubble(b: BubbleView): void {
    b.el.remove();
    b.tail.remove();
    this.bubbles.delete(b.key);
  }

  clear(): void {
    this.speech.clear();
    this.thinking.clear();
    for (const b of [...this.bubbles.values()]) this.removeBubble(b);
  }
}
