import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ResourceMonitor, memoryLimitBytes } from '../../src/boot/resource-monitor.js'
import { Broker } from '../../src/core/index.js'
import { ManualClock, silentLogger } from '../../src/shared/index.js'

test('memory alarm follows resident memory across the high watermark', () => {
  const broker = new Broker(new ManualClock(), silentLogger, { maxMessageSize: 1 << 20 })
  let rss = 100
  const seen: boolean[] = []
  broker.onAlarmsChanged((a) => seen.push(a.has('memory')))
  const monitor = new ResourceMonitor(
    broker,
    { memoryHighWatermark: 1000, diskFreeLimit: 0, dataDir: undefined },
    () => rss,
  )
  monitor.checkMemory()
  rss = 2000
  monitor.checkMemory()
  monitor.checkMemory()
  rss = 500
  monitor.checkMemory()
  assert.deepEqual(seen, [true, false])
})

test('a watermark of at most 1 is a fraction of total memory, above 1 a byte count', () => {
  assert.equal(memoryLimitBytes(4096), 4096)
  assert.ok(memoryLimitBytes(0.4) > 0)
})
