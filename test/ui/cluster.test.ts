// The console's overview in a cluster: under the node's facts, every node with its role, an in-sync
// badge, the replication state and lag, as /api/nodes reports them (here from a fixed cluster view given to
// the broker the way boot/cluster-node.ts gives a leader's).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Page } from 'playwright-core'
import { type RunningBroker, startBroker } from '../../src/index.js'
import { type Browser, launchChromium } from './browser.js'

let broker: RunningBroker
let browser: Browser
let page: Page

const view = {
  name: 'prod',
  nodes: [
    {
      name: 'n1@test',
      running: true,
      role: 'leader' as const,
      in_sync: true,
      replication_state: 'leader' as const,
      replication_lag_ops: 0,
      replication_lag_ms: 0,
    },
    {
      name: 'n2@test',
      running: true,
      role: 'follower' as const,
      in_sync: true,
      replication_state: 'live' as const,
      replication_lag_ops: 12,
      replication_lag_ms: 3,
    },
    {
      name: 'n3@test',
      running: false,
      role: 'follower' as const,
      in_sync: false,
      replication_state: 'down' as const,
      replication_lag_ops: 0,
      replication_lag_ms: 0,
    },
  ],
}

before(async () => {
  broker = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    logLevel: 'silent',
    nodeName: 'n1@test',
    cluster: { stores: { messages: (m) => m, definitions: (d) => d }, view: () => Promise.resolve(view) },
  })
  browser = await launchChromium()
  page = browser.context.pages()[0] ?? (await browser.context.newPage())
  page.setDefaultTimeout(30_000)
})

after(async () => {
  await browser?.close()
  await broker?.close()
})

test('the overview lists the cluster nodes with role, sync state and lag', async () => {
  await page.goto(broker.httpUrl)
  await page.fill('#login input[name=username]', 'guest')
  await page.fill('#login input[name=password]', 'guest')
  await page.click('#login button[type=submit]')
  const table = page.locator('.cluster-nodes table')
  await table.waitFor()
  const rows = await table.locator('tbody tr').allInnerTexts()
  assert.equal(rows.length, 3)
  assert.match(rows[0] ?? '', /n1@test\s+leader\s+in sync\s+leader/)
  assert.match(rows[1] ?? '', /n2@test\s+follower\s+in sync\s+live\s+12\s+3/)
  assert.match(rows[2] ?? '', /n3@test\s+not running\s+not in sync\s+down/)
  assert.equal(await page.locator('.cluster-nodes .badge.bad').count(), 1)
})
