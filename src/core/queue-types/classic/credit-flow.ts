// Credit flow: when a queue's consumers cannot keep up because their sockets are full and more than
// FLOW_HIGH messages wait, publishers into it are held back (their connections stop being read) until it
// is down to FLOW_LOW. This keeps memory and latency bounded in floods, as RabbitMQ's credit flow does;
// a queue without consumers, or with consumers held back by prefetch, is never a reason.
const FLOW_HIGH = 4096
const FLOW_LOW = 1024

export class CreditFlow {
  /** The last dispatch stopped because a consumer's socket was full. */
  socketBound = false
  private waiters: Array<() => void> = []

  congested(ready: number): boolean {
    return this.socketBound && ready > FLOW_HIGH
  }

  whenDrained(resume: () => void): void {
    this.waiters.push(resume)
  }

  /** After a dispatch: held publishers go once the queue is short again or its consumers keep up. */
  dispatched(ready: number): void {
    if (this.waiters.length > 0 && (ready <= FLOW_LOW || !this.socketBound)) this.release()
  }

  release(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }
}
