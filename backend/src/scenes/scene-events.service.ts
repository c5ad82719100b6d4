import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Subject, filter, map, type Observable } from 'rxjs';
import type { SceneStreamEvent, ServerEventName, ServerEventPayloads } from '../contract/events.js';

/**
 * Visitor counts are announced at most this often per scene. Announcing every join to
 * the whole room costs N² messages when N viewers arrive together (a link shared in chat).
 */
export const VISITORS_ANNOUNCE_MS = 250;

export interface RoutedSceneEvent {
  sceneId: string;
  event: SceneStreamEvent;
}

/**
 * The stream of everything that happens in scenes, already committed where it must be.
 * The socket.io gateway and the SSE endpoint both deliver from here, so they carry the
 * same events. Also counts each scene's visitors (sockets and SSE streams).
 */
@Injectable()
export class SceneEventsService implements OnApplicationShutdown {
  private readonly subject = new Subject<RoutedSceneEvent>();
  private readonly visitors = new Map<string, number>();
  private readonly drainers: (() => Promise<void>)[] = [];
  private readonly announceTimers = new Map<string, NodeJS.Timeout>();

  /**
   * Completes every stream, so open SSE responses end and the HTTP server can close.
   * Called by the scenes service once the scenes have stopped, so their last events
   * (conversations ended as interrupted) still reach viewers; again here as a backstop.
   */
  complete(): void {
    for (const timer of this.announceTimers.values()) clearTimeout(timer);
    this.announceTimers.clear();
    this.subject.complete();
  }

  /** A transport (the socket.io gateway) registers how to wait until what it was given is sent. */
  onDrain(drain: () => Promise<void>): void {
    this.drainers.push(drain);
  }

  /** Completes the streams and waits until every transport has sent what it holds. */
  async completeAndDrain(): Promise<void> {
    this.complete();
    await Promise.all(this.drainers.map((d) => d()));
  }

  onApplicationShutdown(): void {
    this.complete();
  }

  publish<K extends ServerEventName>(sceneId: string, name: K, payload: ServerEventPayloads[K]): void {
    this.subject.next({ sceneId, event: { name, payload } as SceneStreamEvent });
  }

  all(): Observable<RoutedSceneEvent> {
    return this.subject.asObservable();
  }

  forScene(sceneId: string): Observable<SceneStreamEvent> {
    return this.subject.pipe(
      filter((e) => e.sceneId === sceneId),
      map((e) => e.event),
    );
  }

  visitorCount(sceneId: string): number {
    return this.visitors.get(sceneId) ?? 0;
  }

  changeVisitors(sceneId: string, delta: number): void {
    const count = Math.max(0, this.visitorCount(sceneId) + delta);
    if (count === 0) this.visitors.delete(sceneId);
    else this.visitors.set(sceneId, count);
    // The first change is announced at once; changes right after it are folded into one
    // announcement of the count as it stands when the window closes.
    if (this.announceTimers.has(sceneId)) return;
    this.publish(sceneId, 'scene:visitors', { sceneId, count });
    this.announceTimers.set(
      sceneId,
      setTimeout(() => {
        this.announceTimers.delete(sceneId);
        const now = this.visitorCount(sceneId);
        if (now !== count) this.changeVisitors(sceneId, 0);
      }, VISITORS_ANNOUNCE_MS).unref(),
    );
  }
}
