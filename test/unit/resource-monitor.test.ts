import assert from 'node:assert/strict'
import { statfs } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { test } from 'node:test'
import { HEAP_ALARM_SHARE, ResourceMonitor, memoryLimitBytes } from '../../src/boot/resource-monitor.js'
import { Broker } from '../../src/core/index.js'
import { ManualClock, silentLogger } from '../../src/shared/index.js'

function monitored(heapSizeLimit = 1e12): {
  broker: Broker
  monitor: ResourceMonitor
  sample: { heapUsed: number; external: number }
  seen: string[]
} {
  const broker = new Broker(new ManualClock(), silentLogger, { maxMessageSize: 1 << 20 })
  const sample = { heapUsed: 0, external: 0 }
  const seen: string[] = []
  broker.onAlarmsChanged((a) => seen.push(a.has('memory') ? 'alarm' : 'clear'))
  const monitor = new ResourceMonitor(
    broker,
    { memoryHighWatermark: 1000, diskFreeLimit: 0, dataDir: undefined },
    () => ({ ...sample }),
    heapSizeLimit,
  )
  return { broker, monitor, sample, seen }
}

test('memory alarm: set at the watermark, cleared only well below it', () => {
  const { monitor, sample, seen } = monitored()
  sample.external = 100
  monitor.checkMemory()
  sample.external = 1000
  monitor.checkMemory()
  monitor.checkMemory()
  sample.external = 950 // below the watermark, above its hysteresis
  monitor.checkMemory()
  sample.external = 850
  monitor.checkMemory()
  assert.deepEqual(seen, ['alarm', 'clear'])
})

test('heap and buffers both count, and the heap alone has its own limit', () => {
  const { monitor, sample, seen } = monitored(1000)
  assert.equal(monitor.heapLimit, 1000 * HEAP_ALARM_SHARE)
  sample.heapUsed = 400
  sample.external = 599
  monitor.checkMemory()
  sample.external = 600
  monitor.checkMemory()
  sample.external = 0
  monitor.checkMemory()
  sample.heapUsed = 700
  monitor.checkMemory()
  assert.deepEqual(seen, ['alarm', 'clear', 'alarm'])
})

test('queues page from half-way to the watermark, with hysteresis', () => {
  const { broker, monitor, sample } = monitored()
  const paging: boolean[] = []
  for (const external of [400, 500, 460, 440, 600]) {
    sample.external = external
    monitor.checkMemory()
    paging.push(broker.memory.paging)
  }
  assert.deepEqual(paging, [false, true, true, false, true])
})

test('a watermark of at most 1 is a fraction of available memory, above 1 a byte count', () => {
  assert.equal(memoryLimitBytes(4096), 4096)
  assert.ok(memoryLimitBytes(0.4) > 0)
})

test('disk alarm: appends count against the last reading at once; a new reading settles it', async () => {
  const broker = new Broker(new ManualClock(), silentLogger, { maxMessageSize: 1 << 20 })
  const seen: string[] = []
  broker.onAlarmsChanged((a) => seen.push(a.has('disk') ? 'alarm' : 'clear'))
  const dir = tmpdir()
  const s = await statfs(dir)
  const MiB = 2 ** 20
  // A limit 64 MiB below the free space now: 64 MiB of appends may reach it.
  const limit = s.bavail * s.bsize - 64 * MiB
  const monitor = new ResourceMonitor(broker, {
    memoryHighWatermark: 1e12,
    diskFreeLimit: limit,
    dataDir: dir,
  })
  await monitor.checkDisk()
  monitor.appended(32 * MiB)
  assert.deepEqual(seen, [], 'half the margin: no alarm')
  monitor.appended(40 * MiB)
  assert.deepEqual(seen, ['alarm'], 'set as the append is counted, before any write')
  monitor.written(72 * MiB)
  await monitor.checkDisk() // the reading the appends started
  await monitor.checkDisk() // one taken after the writes
  // Nothing was really written: the next reading finds the space still there.
  assert.deepEqual(seen, ['alarm', 'clear'])
})
