/**
 * The transcript panel: every line once (keyed by lineId, kept in lineId order whatever
 * order they arrive in), conversation boundaries, speaker names in their colours.
 */
import type { LinePayload } from '../../../backend/src/contract/events';
import { moodIcon } from '../art/sprites';
import { clock, el, fullTime } from '../dom';

export interface Speaker {
  name: string;
  color: string;
}

interface Row {
  key: number;
  el: HTMLElement;
}

interface ConversationInfo {
  id: string;
  participants: string[];
  lineIds: number[];
  header: Row | null;
  end: Row | null;
  endReason: string | null;
}

const END_TEXT: Record<string, string> = {
  goodbye: 'said goodbye',
  'max-turns': 'wrapped up',
  timeout: 'lost the thread',
  error: 'were interrupted',
  left: 'parted: someone left',
  interrupted: 'were interrupted',
  paused: 'stopped: the scene was paused',
};

/** Oldest lines are dropped from the page beyond this; "Earlier lines" brings them back. */
const MAX_LINES = 400;

export class Transcript {
  readonly root: HTMLOListElement;
  private readonly rows: Row[] = [];
  private readonly lines = new Map<number, { line: LinePayload; row: Row }>();
  private readonly conversations = new Map<string, ConversationInfo>();
  private readonly hues = new Map<string, number>();

  constructor(private readonly speaker: (id: string) => Speaker) {
    this.root = el('ol', 'transcript');
    this.root.setAttribute('aria-live', 'polite');
    this.root.setAttribute('aria-relevant', 'additions');
    this.root.setAttribute('aria-label', 'Transcript');
  }

  has(lineId: number): boolean {
    return this.lines.has(lineId);
  }

  ids(): number[] {
    return this.rows.filter((r) => Number.isInteger(r.key)).map((r) => r.key);
  }

  maxId(): number {
    const ids = [...this.lines.keys()];
    return ids.length ? Math.max(...ids) : 0;
  }

  minId(): number {
    const ids = [...this.lines.keys()];
    return ids.length ? Math.min(...ids) : 0;
  }

  get size(): number {
    return this.lines.size;
  }

  private nearBottom(): boolean {
    const scroller = this.root.parentElement;
    return !scroller || scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
  }

  private stickToBottom(wasNear: boolean): void {
    const scroller = this.root.parentElement;
    if (wasNear && scroller) scroller.scrollTop = scroller.scrollHeight;
  }

  private insert(row: Row): void {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.rows[mid].key < row.key) lo = mid + 1;
      else hi = mid;
    }
    const next = this.rows[lo];
    this.rows.splice(lo, 0, row);
    this.root.insertBefore(row.el, next ? next.el : null);
  }

  private remove(row: Row): void {
    const i = this.rows.indexOf(row);
    if (i >= 0) this.rows.splice(i, 1);
    row.el.remove();
  }

  private move(row: Row, key: number): void {
    if (row.key === key) return;
    this.remove(row);
    row.key = key;
    this.insert(row);
  }

  private hue(conversationId: string): number {
    let h = this.hues.get(conversationId);
    if (h === undefined) {
      h = (this.hues.size * 137) % 360;
      this.hues.set(conversationId, h);
    }
    return h;
  }

  private conversation(id: string, participants?: string[]): ConversationInfo {
    let info = this.conversations.get(id);
    if (!info) {
      info = { id, participants: participants ?? [], lineIds: [], header: null, end: null, endReason: null };
      this.conversations.set(id, info);
    }
    if (participants?.length) info.participants = participants;
    return info;
  }

  private names(info: ConversationInfo): string {
    const ids = info.participants.length
      ? info.participants
      : [...new Set(info.lineIds.map((id) => this.lines.get(id)!.line.characterId))];
    const names = ids.map((id) => this.speaker(id).name);
    return names.length > 1
      ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
      : (names[0] ?? 'Someone');
  }

  /** Puts the boundary rows of a conversation where its lines are. */
  private placeBoundaries(info: ConversationInfo, startedLive = false): void {
    const first = info.lineIds.length ? Math.min(...info.lineIds) : null;
    const last = info.lineIds.length ? Math.max(...info.lineIds) : null;
    if (!info.header) {
      const row = { key: first !== null ? first - 0.5 : this.endKey() + 0.25, el: el('li', 'boundary start') };
      row.el.dataset.conversationId = info.id;
      row.el.style.setProperty('--conv-hue', String(this.hue(info.id)));
      info.header = row;
      this.insert(row);
    } else if (first !== null) this.move(info.header, first - 0.5);
    info.header.el.textContent =
      startedLive || info.header.el.classList.contains('live')
        ? `${this.names(info)} started talking`
        : `${this.names(info)} talking`;
    if (startedLive) info.header.el.classList.add('live');
    if (info.endReason !== null) {
      if (!info.end) {
        const row = { key: 0, el: el('li', 'boundary end') };
        row.el.dataset.conversationId = info.id;
        row.el.style.setProperty('--conv-hue', String(this.hue(info.id)));
        info.end = row;
        this.insert(Object.assign(row, { key: last !== null ? last + 0.5 : info.header.key + 0.01 }));
      } else if (last !== null) this.move(info.end, last + 0.5);
      info.end.el.textContent = `${this.names(info)} ${END_TEXT[info.endReason] ?? 'parted'}`;
    }
  }

  private endKey(): number {
    return this.rows.length ? this.rows[this.rows.length - 1].key : 0;
  }

  conversationStarted(id: string, participants: string[]): void {
    const wasNear = this.nearBottom();
    const info = this.conversation(id, participants);
    this.placeBoundaries(info, info.lineIds.length === 0);
    this.stickToBottom(wasNear);
  }

  conversationEnded(id: string, reason: string): void {
    const info = this.conversations.get(id);
    if (!info) return;
    const wasNear = this.nearBottom();
    info.endReason = reason;
    this.placeBoundaries(info);
    this.stickToBottom(wasNear);
  }

  /** Adds lines not seen yet; returns those that were new. */
  add(lines: readonly LinePayload[], options: { trim?: boolean } = {}): LinePayload[] {
    const fresh = lines.filter(
      (l, i) => !this.lines.has(l.lineId) && lines.findIndex((m) => m.lineId === l.lineId) === i,
    );
    if (!fresh.length) return fresh;
    const wasNear = this.nearBottom();
    this.root.setAttribute('aria-busy', fresh.length > 1 ? 'true' : 'false');
    const touched = new Set<ConversationInfo>();
    for (const line of fresh) {
      const s = this.speaker(line.characterId);
      const item = el('li', 'line');
      item.dataset.lineId = String(line.lineId);
      item.dataset.characterId = line.characterId;
      item.dataset.conversationId = line.conversationId;
      item.style.setProperty('--conv-hue', String(this.hue(line.conversationId)));
      const meta = el('div', 'meta');
      const who = el('span', 'who', s.name);
      who.style.color = s.color;
      const emotion = el('span', 'emotion');
      emotion.append(moodIcon(line.emotion, 'mood small'), document.createTextNode(line.emotion));
      const time = el('time', 'time', clock(line.at));
      time.dateTime = new Date(line.at).toISOString();
      time.title = fullTime(line.at);
      meta.append(who, emotion, time);
      item.append(meta, el('p', 'text', line.text));
      const row = { key: line.lineId, el: item };
      this.insert(row);
      this.lines.set(line.lineId, { line, row });
      const info = this.conversation(line.conversationId);
      info.lineIds.push(line.lineId);
      touched.add(info);
    }
    for (const info of touched) this.placeBoundaries(info);
    if (options.trim !== false) this.trim();
    this.root.setAttribute('aria-busy', 'false');
    this.stickToBottom(wasNear);
    return fresh;
  }

  private trim(): void {
    if (this.lines.size <= MAX_LINES) return;
    const ids = [...this.lines.keys()].sort((a, b) => a - b).slice(0, this.lines.size - MAX_LINES);
    for (const id of ids) {
      const entry = this.lines.get(id)!;
      this.remove(entry.row);
      this.lines.delete(id);
      const info = this.conversations.get(entry.line.conversationId);
      if (info) {
        info.lineIds = info.lineIds.filter((x) => x !== id);
        if (!info.lineIds.length) {
          if (info.header) this.remove(info.header);
          if (info.end) this.remove(info.end);
          this.conversations.delete(info.id);
        }
      }
    }
  }

  /** Re-colours and renames after the cast changed. */
  refreshSpeakers(): void {
    for (const { line, row } of this.lines.values()) {
      const s = this.speaker(line.characterId);
      const who = row.el.querySelector<HTMLElement>('.who');
      if (who) {
        who.textContent = s.name;
        who.style.color = s.color;
      }
    }
    for (const info of this.conversations.values()) this.placeBoundaries(info);
  }
}
