import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Subject, filter, map, type Observable } from 'rxjs';
import type { SceneStreamEvent, ServerEventName, ServerEventPayloads } from '../contract/events.js';

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

  /**
   * Completes every stream, so open SSE responses end and the HTTP server can close.
   * Called by the scenes service once the scenes have stopped, so their last events
   * (conversations ended as interrupted) still reach viewers; again here as a backstop.
   */
  complete(): void {
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
    this.publish(sceneId, 'scene:visitors', { sceneId, count });
  }
}
