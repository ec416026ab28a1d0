/** What every scenario gets from the harness. */
export interface BenchContext {
  /** The bench's temp root; everything a scenario writes goes below it. */
  root: string
  /** undefined = SQLite (default); postgres://… = a fresh database per scenario on that server. */
  databaseUrl: string | undefined
  /** Registers a cleanup that runs even if the bench is interrupted (last registered runs first). */
  defer(cleanup: () => Promise<void> | void): () => Promise<void>
}
