/** The only source of time for domain rules and services; tests inject a fake. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
}
