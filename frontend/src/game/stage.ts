/**
 * The Phaser stage: the tile map, props sorted by depth, and the characters walking between
 * server ticks. It is loaded on demand (its own chunk, with Phaser); everything with text
 * lives in the DOM overlay, which this feeds with screen positions after every frame.
 */
import * as Phaser from 'phaser';
import type {
  CharacterAction,
  CharacterPalette,
  CharacterPosition,
  Direction,
} from '../../../backend/src/contract/events';
import { C, canvas, hashString } from '../art/palette';
import { characterSheet, DIRECTIONS, FRAMES, SPRITE_H, SPRITE_W } from '../art/sprites';
import { pickAt } from './pick';
import {
  analyseMap,
  paintGround,
  propCanvas,
  propVariant,
  PROP_SIZE,
  TILE,
  type MapInfo,
  type Prop,
} from '../art/tiles';
import type { StageFrame } from '../live/overlay';

export interface StageCharacter {
  id: string;
  x: number;
  y: number;
  direction: Direction;
  action: CharacterAction;
  sprite: CharacterPalette;
}

export type Emphasis = 'talking' | 'thinking' | null;

export interface StageOptions {
  parent: HTMLElement;
  tickMs: number;
  onFrame: (frame: StageFrame) => void;
  onPick: (id: string | null) => void;
}

export interface Stage {
  setMap(map: readonly string[]): void;
  /** Adds, removes and places characters as a snapshot says (jumps straight there). */
  sync(characters: readonly StageCharacter[]): void;
  /** Applies a tick: characters walk to their new tiles. */
  move(changes: readonly CharacterPosition[]): void;
  setTickMs(ms: number): void;
  setEmphasis(id: string, emphasis: Emphasis): void;
  select(id: string | null): void;
  /** Characters the camera should keep in view when the map is larger than the view. */
  setFocus(ids: readonly string[]): void;
  zoomBy(step: number): void;
  resetView(): void;
  info(): { renderer: string; zoom: number; width: number; height: number };
  destroy(): void;
}

const CHUNK = 64;
const MANUAL_MS = 12_000;

interface Walker {
  id: string;
  sprite: Phaser.GameObjects.Sprite;
  shadow: Phaser.GameObjects.Image;
  sheet: string;
  x: number;
  y: number;
  path: { x: number; y: number }[];
  facing: Direction;
  serverFacing: Direction;
  action: CharacterAction;
  stride: number;
  phase: number;
  emphasis: Emphasis;
  frame: number;
}

class World extends Phaser.Scene {
  map: MapInfo | null = null;
  private ground: Phaser.GameObjects.Image[] = [];
  private props: Phaser.GameObjects.Image[] = [];
  private readonly walkers = new Map<string, Walker>();
  private ring!: Phaser.GameObjects.Image;
  private selected: string | null = null;
  private focus: string[] = [];
  tickMs = 500;
  zoom = 2;
  private userZoom: number | null = null;
  private view = { x: 0, y: 0 };
  private manualUntil = 0;
  private drag: { x: number; y: number; viewX: number; viewY: number; moved: boolean } | null = null;
  private waterFrame = 0;
  private hasWater = false;
  private ready!: () => void;
  readonly created = new Promise<void>((resolve) => (this.ready = resolve));

  constructor(private readonly options: StageOptions) {
    super({ key: 'world' });
  }

  create(): void {
    const shadow = canvas(12, 4);
    shadow.ctx.fillStyle = 'rgba(24,20,37,0.35)';
    shadow.ctx.fillRect(2, 0, 8, 4);
    shadow.ctx.fillRect(0, 1, 12, 2);
    this.textures.addCanvas('shadow', shadow.canvas);
    const ring = canvas(18, 8);
    ring.ctx.fillStyle = C.amber;
    for (const [x, y, w, h] of [
      [4, 0, 10, 1],
      [4, 7, 10, 1],
      [1, 1, 3, 1],
      [14, 1, 3, 1],
      [1, 6, 3, 1],
      [14, 6, 3, 1],
      [0, 2, 1, 4],
      [17, 2, 1, 4],
    ])
      ring.ctx.fillRect(x, y, w, h);
    this.textures.addCanvas('ring', ring.canvas);
    this.ring = this.add.image(0, 0, 'ring').setVisible(false);
    this.tweens.add({ targets: this.ring, alpha: 0.35, duration: 600, yoyo: true, repeat: -1 });
    this.cameras.main.setOrigin(0, 0);
    this.cameras.main.setBackgroundColor(C.pine);
    this.cameras.main.setRoundPixels(true);

    this.input.on('pointerdown', (p: Phaser.Input.Pointer) => {
      this.drag = { x: p.x, y: p.y, viewX: this.view.x, viewY: this.view.y, moved: false };
    });
    this.input.on('pointermove', (p: Phaser.Input.Pointer) => {
      if (!this.drag || !p.isDown) return;
      const dx = p.x - this.drag.x;
      const dy = p.y - this.drag.y;
      if (!this.drag.moved && Math.hypot(dx, dy) < 6) return;
      this.drag.moved = true;
      this.manualUntil = performance.now() + MANUAL_MS;
      this.view.x = this.drag.viewX - dx / this.zoom;
      this.view.y = this.drag.viewY - dy / this.zoom;
    });
    const release = (p: Phaser.Input.Pointer) => {
      if (this.drag && !this.drag.moved) this.options.onPick(this.pick(p.x, p.y));
      this.drag = null;
    };
    this.input.on('pointerup', release);
    this.input.on('pointerupoutside', () => (this.drag = null));
    // Trackpads send a stream of small wheel events: one zoom step per gesture, roughly.
    let wheelAt = 0;
    this.input.on('wheel', (p: Phaser.Input.Pointer, _o: unknown, _dx: number, dy: number) => {
      const now = performance.now();
      if (dy === 0 || now - wheelAt < 220) return;
      wheelAt = now;
      this.zoomBy(dy < 0 ? 1 : -1, p.x, p.y);
    });
    this.scale.on('resize', () => this.fitZoom());
    this.time.addEvent({ delay: 650, loop: true, callback: () => this.animateWater() });
    this.game.events.on(Phaser.Core.Events.POST_RENDER, () => this.emitFrame());
    this.fitZoom();
    this.ready();
  }

  /** The world point under a screen point, with the camera's origin at the top left. */
  private toWorld(sx: number, sy: number): { x: number; y: number } {
    const cam = this.cameras.main;
    return { x: sx / this.zoom + cam.scrollX, y: sy / this.zoom + cam.scrollY };
  }

  private pick(sx: number, sy: number): string | null {
    const targets = [...this.walkers.values()].map((w) => ({
      id: w.id,
      x: w.sprite.x,
      y: w.sprite.y,
      depth: w.sprite.depth,
    }));
    return pickAt(this.toWorld(sx, sy), targets, SPRITE_H);
  }

  setMap(rows: readonly string[]): void {
    const map = analyseMap(rows);
    this.map = map;
    for (const g of this.ground) g.destroy();
    for (const p of this.props) p.destroy();
    this.ground = [];
    this.props = [];
    this.hasWater = rows.some((r) => r.includes('~'));
    for (const key of this.textures.getTextureKeys()) if (key.startsWith('ground-')) this.textures.remove(key);
    // The flat layer in chunks (big maps stay under texture size limits), two water frames.
    for (let cy = 0; cy < map.height; cy += CHUNK) {
      for (let cx = 0; cx < map.width; cx += CHUNK) {
        const w = Math.min(CHUNK, map.width - cx);
        const h = Math.min(CHUNK, map.height - cy);
        for (let frame = 0; frame < (this.hasWater ? 2 : 1); frame++) {
          const layer = canvas(w * TILE, h * TILE);
          paintGround(layer.ctx, map, frame, { x: cx, y: cy, w, h });
          this.textures.addCanvas(`ground-${cx}-${cy}-${frame}`, layer.canvas);
        }
        const image = this.add
          .image(cx * TILE, cy * TILE, `ground-${cx}-${cy}-0`)
          .setOrigin(0, 0)
          .setDepth(-10_000);
        image.setData('chunk', `${cx}-${cy}`);
        this.ground.push(image);
      }
    }
    for (const prop of map.props) this.props.push(this.addProp(prop));
    this.fitZoom();
  }

  private addProp(prop: Prop): Phaser.GameObjects.Image {
    const key = `prop-${prop.kind}-${propVariant(prop)}`;
    if (!this.textures.exists(key)) this.textures.addCanvas(key, propCanvas(prop));
    const [w, h] = PROP_SIZE[prop.kind];
    const bottom = (prop.y + 1) * TILE;
    return this.add
      .image(prop.x * TILE + (TILE - w) / 2, bottom - h, key)
      .setOrigin(0, 0)
      .setDepth(bottom - 1);
  }

  private animateWater(): void {
    if (!this.hasWater) return;
    this.waterFrame = 1 - this.waterFrame;
    for (const g of this.ground) g.setTexture(`ground-${g.getData('chunk') as string}-${this.waterFrame}`);
  }

  private sheetFor(id: string, palette: CharacterPalette): string {
    const key = `char-${id}-${hashString(JSON.stringify(palette))}`;
    if (!this.textures.exists(key)) {
      const texture = this.textures.addCanvas(key, characterSheet(palette));
      if (!texture) return key;
      DIRECTIONS.forEach((dir, row) => {
        for (let f = 0; f < FRAMES; f++)
          texture.add(`${dir}-${f}`, 0, f * SPRITE_W, row * SPRITE_H, SPRITE_W, SPRITE_H);
      });
    }
    return key;
  }

  sync(characters: readonly StageCharacter[]): void {
    const ids = new Set(characters.map((c) => c.id));
    for (const [id, w] of this.walkers) {
      if (ids.has(id)) continue;
      w.sprite.destroy();
      w.shadow.destroy();
      this.walkers.delete(id);
    }
    for (const c of characters) {
      const sheet = this.sheetFor(c.id, c.sprite);
      let w = this.walkers.get(c.id);
      if (!w) {
        const sprite = this.add.sprite(0, 0, sheet, `${c.direction}-0`).setOrigin(0.5, 1);
        const shadow = this.add.image(0, 0, 'shadow');
        w = {
          id: c.id,
          sprite,
          shadow,
          sheet,
          x: c.x,
          y: c.y,
          path: [],
          facing: c.direction,
          serverFacing: c.direction,
          action: c.action,
          stride: 0,
          phase: hashString(c.id) % 1000,
          emphasis: null,
          frame: 0,
        };
        this.walkers.set(c.id, w);
      }
      if (w.sheet !== sheet) {
        w.sheet = sheet;
        w.sprite.setTexture(sheet, `${w.facing}-0`);
      }
      w.x = c.x;
      w.y = c.y;
      w.path = [];
      w.serverFacing = c.direction;
      w.facing = c.direction;
      w.action = c.action;
    }
  }

  move(changes: readonly CharacterPosition[]): void {
    for (const c of changes) {
      const w = this.walkers.get(c.id);
      if (!w) continue;
      w.serverFacing = c.direction;
      w.action = c.action;
      const last = w.path[w.path.length - 1] ?? { x: w.x, y: w.y };
      if (last.x === c.x && last.y === c.y) continue;
      // More than a couple of tiles away (a restart, a long stall): jump, don't moonwalk.
      if (Math.abs(last.x - c.x) + Math.abs(last.y - c.y) > 3) {
        w.path = [];
        w.x = c.x;
        w.y = c.y;
        continue;
      }
      w.path.push({ x: c.x, y: c.y });
      if (w.path.length > 4) {
        const skipped = w.path.splice(0, w.path.length - 4);
        w.x = skipped[skipped.length - 1].x;
        w.y = skipped[skipped.length - 1].y;
      }
    }
  }

  setEmphasis(id: string, emphasis: Emphasis): void {
    const w = this.walkers.get(id);
    if (w) w.emphasis = emphasis;
  }

  select(id: string | null): void {
    // Picking someone hands the camera back to follow them.
    if (id && id !== this.selected) this.manualUntil = 0;
    this.selected = id;
  }

  setFocus(ids: readonly string[]): void {
    this.focus = [...ids];
  }

  private fitZoom(): void {
    if (!this.map) return;
    const { width, height } = this.scale;
    const fit = Math.floor(Math.min(width / (this.map.width * TILE), height / (this.map.height * TILE)));
    // Pixel-perfect: whole numbers only; at least 2 so characters stay readable on phones.
    const base = Math.max(2, fit);
    this.zoom = Math.max(1, Math.min(8, this.userZoom ?? base));
    this.cameras.main.setZoom(this.zoom);
  }

  zoomBy(step: number, sx?: number, sy?: number): void {
    const before = this.toWorld(sx ?? this.scale.width / 2, sy ?? this.scale.height / 2);
    this.userZoom = Math.max(1, Math.min(8, this.zoom + step));
    this.fitZoom();
    // Keep the point under the pointer where it was.
    const px = sx ?? this.scale.width / 2;
    const py = sy ?? this.scale.height / 2;
    this.view.x = before.x - px / this.zoom;
    this.view.y = before.y - py / this.zoom;
    this.manualUntil = performance.now() + MANUAL_MS;
    this.applyCamera(0, true);
  }

  resetView(): void {
    this.userZoom = null;
    this.manualUntil = 0;
    this.fitZoom();
  }

  private focusPoint(): { x: number; y: number } | null {
    const ids = this.selected ? [this.selected] : this.focus;
    const points = ids.map((id) => this.walkers.get(id)).filter((w): w is Walker => !!w);
    if (!points.length) return null;
    return {
      x: (points.reduce((s, w) => s + w.x, 0) / points.length) * TILE + TILE / 2,
      y: (points.reduce((s, w) => s + w.y, 0) / points.length) * TILE + TILE / 2,
    };
  }

  private applyCamera(delta: number, snap = false): void {
    if (!this.map) return;
    const viewW = this.scale.width / this.zoom;
    const viewH = this.scale.height / this.zoom;
    const mapW = this.map.width * TILE;
    const mapH = this.map.height * TILE;
    const axis = (pos: number, view: number, size: number, focus: number | undefined) => {
      if (size <= view) return (size - view) / 2;
      let target = pos;
      if (focus !== undefined) target = focus - view / 2;
      const next = snap || focus === undefined ? target : pos + (target - pos) * (1 - Math.exp(-delta / 450));
      return Math.max(0, Math.min(size - view, next));
    };
    const auto = performance.now() > this.manualUntil && !this.drag;
    const focus = auto ? (this.focusPoint() ?? { x: mapW / 2, y: mapH / 2 }) : null;
    this.view.x = axis(this.view.x, viewW, mapW, focus?.x);
    this.view.y = axis(this.view.y, viewH, mapH, focus?.y);
    this.cameras.main.setScroll(
      Math.round(this.view.x * this.zoom) / this.zoom,
      Math.round(this.view.y * this.zoom) / this.zoom,
    );
  }

  update(time: number, delta: number): void {
    const dt = Math.min(delta, 250);
    for (const w of this.walkers.values()) {
      let moving = false;
      if (w.path.length) {
        const target = w.path[0];
        // One tile per tick, a little faster when behind so the lag never grows.
        const speed = (1 + 0.75 * (w.path.length - 1)) / this.tickMs;
        let step = speed * dt;
        const dx = target.x - w.x;
        const dy = target.y - w.y;
        const dist = Math.hypot(dx, dy);
        if (dist > 0.001) w.facing = Math.abs(dx) > Math.abs(dy) ? (dx > 0 ? 'right' : 'left') : dy > 0 ? 'down' : 'up';
        if (dist <= step) {
          w.x = target.x;
          w.y = target.y;
          w.path.shift();
          step = dist;
        } else {
          w.x += (dx / dist) * step;
          w.y += (dy / dist) * step;
        }
        w.stride += step;
        moving = true;
      } else if (w.action !== 'walking') {
        w.facing = w.serverFacing;
      }
      if (moving) w.frame = [1, 0, 2, 0][Math.floor(w.stride * 2) % 4];
      else if (w.action !== 'walking') w.frame = 0;
      const period = w.emphasis === 'talking' ? 260 : w.emphasis === 'thinking' ? 900 : 560;
      const bob = moving ? 0 : Math.floor((time + w.phase) / period) % 2;
      const x = Math.round(w.x * TILE + TILE / 2);
      const feet = Math.round(w.y * TILE + TILE - 1);
      w.sprite.setFrame(`${w.facing}-${w.frame}`);
      w.sprite.setPosition(x, feet + 1 - bob);
      w.sprite.setDepth(feet);
      w.shadow.setPosition(x, feet);
      w.shadow.setDepth(feet - 0.5);
      if (w.id === this.selected) this.ring.setPosition(x, feet).setDepth(feet - 0.4);
    }
    this.ring.setVisible(!!this.selected && this.walkers.has(this.selected));
    this.applyCamera(dt);
  }

  private emitFrame(): void {
    const cam = this.cameras.main;
    const { width, height } = this.scale;
    const characters = [...this.walkers.values()].map((w) => {
      const footX = (w.sprite.x - cam.scrollX) * this.zoom;
      const footY = (w.sprite.y - cam.scrollY) * this.zoom;
      const headY = (w.sprite.y - SPRITE_H - cam.scrollY) * this.zoom;
      return {
        id: w.id,
        headX: footX,
        headY,
        footX,
        footY,
        onScreen: footX > -20 && footX < width + 20 && footY > 0 && headY < height,
      };
    });
    this.options.onFrame({ width, height, zoom: this.zoom, characters });
  }
}

export async function createStage(options: StageOptions): Promise<Stage> {
  const world = new World(options);
  world.tickMs = options.tickMs;
  const rect = options.parent.getBoundingClientRect();
  const game = new Phaser.Game({
    type: Phaser.AUTO,
    parent: options.parent,
    width: Math.max(64, Math.floor(rect.width)),
    height: Math.max(64, Math.floor(rect.height)),
    pixelArt: true,
    roundPixels: true,
    antialias: false,
    backgroundColor: C.pine,
    banner: false,
    audio: { noAudio: true },
    scale: { mode: Phaser.Scale.RESIZE, autoCenter: Phaser.Scale.NO_CENTER },
    input: { keyboard: false, gamepad: false },
    render: { powerPreference: 'low-power' },
    scene: world,
  });
  await world.created;
  return {
    setMap: (map) => world.setMap(map),
    sync: (characters) => world.sync(characters),
    move: (changes) => world.move(changes),
    setTickMs: (ms) => (world.tickMs = Math.max(16, ms)),
    setEmphasis: (id, emphasis) => world.setEmphasis(id, emphasis),
    select: (id) => world.select(id),
    setFocus: (ids) => world.setFocus(ids),
    zoomBy: (step) => world.zoomBy(step),
    resetView: () => world.resetView(),
    info: () => ({
      renderer: game.renderer.type === Phaser.WEBGL ? 'webgl' : 'canvas',
      zoom: world.zoom,
      width: game.scale.width,
      height: game.scale.height,
    }),
    destroy: () => game.destroy(true),
  };
}
