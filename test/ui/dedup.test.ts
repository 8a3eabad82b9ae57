// The console's view of deduplication, in a real browser: a deduplicating exchange's page shows its cache
// (keys of how many) and the duplicates it dropped, a deduplicating queue's page the keys it holds, and
// both carry the Dedup feature badge.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import amqp from 'amqplib'
import type { Page } from 'playwright-core'
import { type RunningBroker, startBroker } from '../../src/index.js'
import { type Browser, launchChromium } from './browser.js'

let broker: RunningBroker
let browser: Browser
let page: Page
const pageErrors: string[] = []

before(async () => {
  broker = await startBroker({ amqpPort: 0, httpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
  browser = await launchChromium()
  page = browser.context.pages()[0] ?? (await browser.context.newPage())
  page.setDefaultTimeout(30_000)
  page.on('pageerror', (e) => pageErrors.push(e.message))
})

after(async () => {
  await browser?.close()
  await broker?.close()
})

test('deduplicating exchange and queue pages show their caches and the Dedup badge', async () => {
  const conn = await amqp.connect(broker.amqpUrl)
  const ch = await conn.createConfirmChannel()
  await ch.assertExchange('orders.dedup', 'x-message-deduplication', { arguments: { 'x-cache-size': 500 } })
  await ch.assertQueue('orders', { arguments: { 'x-message-deduplication': true } })
  await ch.bindQueue('orders', 'orders.dedup', '')
  for (const id of ['o-1', 'o-2', 'o-1', 'o-3', 'o-2']) {
    ch.publish('orders.dedup', '', Buffer.from(id), { headers: { 'x-deduplication-header': id } })
  }
  ch.sendToQueue('orders', Buffer.from('again'), { headers: { 'x-deduplication-header': 'o-3' } })
  await ch.waitForConfirms()

  await page.goto(`${broker.httpUrl}#/exchanges/%2F/orders.dedup`)
  await page.fill('#login input[name=username]', 'guest')
  await page.fill('#login input[name=password]', 'guest')
  await page.click('#login button[type=submit]')
  const facts = page.locator('dl.facts').first()
  await facts.getByText('Deduplication cache', { exact: true }).waitFor()
  const text = await facts.innerText()
  assert.match(text, /Deduplication cache\s+3 of 500 keys/)
  assert.match(text, /Duplicates dropped\s+2/)
  assert.ok(await facts.locator('abbr', { hasText: 'Dedup' }).count(), 'the Dedup badge')

  await page.goto(`${broker.httpUrl}#/queues/%2F/orders`)
  const queueFacts = page.locator('dl.facts').first()
  await queueFacts.getByText('Deduplication', { exact: true }).waitFor()
  assert.match(await queueFacts.innerText(), /Deduplication\s+3 keys held, 1 duplicates dropped/)
  assert.deepEqual(pageErrors, [])
  await conn.close()
})
