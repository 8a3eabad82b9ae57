// The console's overview on a cluster's leader (a fixed cluster view injected as boot passes it, through
// startBroker's `cluster` option), in a real browser: the serving node's facts, then every node with its
// role, running and in-sync badges, replication state and lag. A single node shows no cluster table
// (console.test.ts).
import assert from 'node:assert/strict'
import { clusterNode } from '../helpers/cluster-view.js'
import { after, before, test } from 'node:test'
import type { Page } from 'playwright-core'
import { type RunningBroker, startBroker } from '../../src/index.js'
import { type Browser, launchChromium } from './browser.js'

// Sorted by name as the API lists them: the leader, which serves the console, is the second.
const NODES = [
  clusterNode('n1@localhost', { replication_lag_ops: 1234, replication_lag_ms: 56 }),
  clusterNode('n2@localhost', { role: 'leader', replication_state: 'leader' }),
  clusterNode('n3@localhost', { running: false, in_sync: false, replication_state: 'down' }),
]

let broker: RunningBroker
let browser: Browser
let page: Page
const pageErrors: string[] = []

before(async () => {
  broker = await startBroker({
    amqpPort: 0,
    httpPort: 0,
    bind: '127.0.0.1',
    logLevel: 'silent',
    nodeName: 'n2@localhost',
    cluster: {
      stores: { messages: (own) => own, definitions: (own) => own },
      view: () => Promise.resolve({ name: 'orders', nodes: NODES.map((n) => ({ ...n })) }),
    },
  })
  browser = await launchChromium()
  page = browser.context.pages()[0] ?? (await browser.context.newPage())
  page.setDefaultTimeout(30_000)
  page.on('pageerror', (e) => pageErrors.push(e.message))
})

after(async () => {
  await browser?.close()
  await broker?.close()
})

test("the overview shows the leader's facts and a row per cluster node with its replication", async () => {
  await page.goto(broker.httpUrl)
  await page.fill('#login input[name=username]', 'guest')
  await page.fill('#login input[name=password]', 'guest')
  await page.click('#login button[type=submit]')
  const rows = page.locator('.cluster-nodes tbody tr')
  await rows.first().waitFor()
  // The facts are the serving node's, not the first node's by name.
  const facts = await page.locator('dl.facts').first().innerText()
  assert.match(facts, /Name\s+n2@localhost/)
  assert.match(facts, /Uptime\s+\d/)
  const cells = async (i: number): Promise<string[]> =>
    (await rows.nth(i).locator('td').allInnerTexts()).map((t) => t.trim())
  assert.deepEqual(await page.locator('.cluster-nodes thead th').allInnerTexts(), [
    'Node',
    'Role',
    'State',
    'In sync',
    'Replication',
    'Lag (operations)',
    'Lag (ms)',
  ])
  assert.deepEqual(await cells(0), ['n1@localhost', 'follower', 'running', 'in sync', 'live', '1,234', '56'])
  assert.deepEqual(await cells(1), ['n2@localhost', 'leader', 'running', 'in sync', 'leader', '0', '0'])
  assert.deepEqual(await cells(2), ['n3@localhost', 'follower', 'not running', 'not in sync', 'down', '', ''])
  assert.equal(await rows.nth(2).locator('.badge.bad').count(), 2)
  assert.equal(await rows.nth(0).locator('.badge.good').count(), 2)
  // Only the serving node has a node page.
  assert.equal(await page.locator('.cluster-nodes a[href^="#/nodes/"]').count(), 1)
  assert.deepEqual(pageErrors, [])
})
