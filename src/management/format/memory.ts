// Memory by what uses it, as GET /api/nodes/{node}/memory answers (RabbitMQ's shape: a `memory` object of
// byte counts, a `total` and the `strategy`). The parts are measured and disjoint, and add up to the
// process's resident memory: message bodies held by queues, bytes waiting in connections' write buffers,
// bytes the stores have buffered, other buffers, the JavaScript heap (queue entries, channels, routing
// tables: everything that is not a body) split into code, live objects and unused heap, and what is left
// of the RSS (the Node runtime, libuv, the allocator's free blocks) as `other_system`.
import { getHeapSpaceStatistics } from 'node:v8'
import { isQueue } from '../../core/index.js'
import type { ManagementContext } from '../context.js'

export interface MemoryBreakdown {
  memory: Record<string, number | string | Record<string, number>>
}

export function memoryBreakdown(ctx: ManagementContext): MemoryBreakdown {
  const m = process.memoryUsage()
  const queues = queueBodies(ctx)
  let writers = 0
  for (const c of ctx.connections) writers += c.socket.writableLength
  const store = ctx.resources().storeBuffered ?? 0
  const code = getHeapSpaceStatistics().find((s) => s.space_name === 'code_space')?.space_used_size ?? 0
  // Bodies, write backlogs and store buffers are Buffers, counted by V8 as array buffers.
  const binary = Math.max(0, m.arrayBuffers - queues - writers - store)
  const parts: Record<string, number> = {
    queue_procs: queues,
    connection_writers: writers,
    store_buffers: store,
    binary,
    code,
    js_heap: Math.max(0, m.heapUsed - code),
    allocated_unused: Math.max(0, m.heapTotal - m.heapUsed),
  }
  const counted = Object.values(parts).reduce((a, b) => a + b, 0)
  parts['other_system'] = Math.max(0, m.rss - counted)
  return {
    memory: {
      ...parts,
      total: { rss: m.rss, allocated: m.heapTotal + m.external },
      strategy: 'rss',
    },
  }
}

function queueBodies(ctx: ManagementContext): number {
  let n = 0
  for (const v of ctx.broker.vhosts.values())
    for (const q of v.queues.values()) if (isQueue(q)) n += q.memoryBytes
  return n
}
