import { EventEmitter } from 'node:events'

/** Everything that happens inside one Taskyard process that another part may wait on. */
export interface EventMap {
  'run:queued': { runId: number; taskId: number }
  'run:started': { runId: number; taskId: number; pid: number; at: number }
  'run:finished': { runId: number; taskId: number; status: string }
  'task:changed': { taskId: number }
  /**
   * A task's run_as as it is now, emitted where it can change (create, update, delete; undefined:
   * the task is gone): the database guard follows the accounts runs use without reading the task.
   */
  'task:run-as': { taskId: number; runAs: string | null | undefined }
  /** An environment build ended (its log will not grow any more). */
  'environment:build-finished': { buildId: number; envName: string; ok: boolean }
  /** The user's sessions, tokens and open streams must end now (disabled, password changed). */
  'user:revoked': { userId: number }
  /** One login ended (logout): its cookie, its JWT and the streams they opened end now. */
  'session:revoked': { sessionId: string }
}
export type EventName = keyof EventMap

/** A typed in-process bus. Listeners run synchronously and must not throw. */
export class EventBus {
  readonly #emitter = new EventEmitter()
  constructor() {
    this.#emitter.setMaxListeners(0)
  }
  emit<K extends EventName>(name: K, payload: EventMap[K]): void {
    this.#emitter.emit(name, payload)
  }
  on<K extends EventName>(name: K, listener: (payload: EventMap[K]) => void): () => void {
    this.#emitter.on(name, listener)
    return () => this.#emitter.off(name, listener)
  }
  /** Resolves with the first payload for which `match` holds. */
  waitFor<K extends EventName>(name: K, match: (payload: EventMap[K]) => boolean = () => true): Promise<EventMap[K]> {
    return new Promise((resolve) => {
      const off = this.on(name, (p) => {
        if (!match(p)) return
        off()
        resolve(p)
      })
    })
  }
}
