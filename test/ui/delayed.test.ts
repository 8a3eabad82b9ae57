// The console's page of an x-delayed-message exchange, in a real browser: the count and next delivery in
// its overview, the held messages next due first with their schedules, Cancel on one, Purge for all.
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

test('an x-delayed-message exchange lists what it holds; Cancel and Purge act on them', async () => {
  const conn = await amqp.connect(broker.amqpUrl)
  const ch = await conn.createConfirmChannel()
  await ch.assertExchange('reminders', 'x-delayed-message', { arguments: { 'x-delayed-type': 'direct' } })
  ch.publish('reminders', 'pay', Buffer.from('pay up'), {
    headers: { 'x-delay': 3_600_000 },
    messageId: 'invoice-1',
  })
  ch.publish('reminders', 'ping', Buffer.from('ping'), {
    headers: { 'x-delay': 60_000, 'x-schedule-repeat': 4, 'x-schedule-period': 30_000 },
    messageId: 'ping-1',
  })
  ch.publish('reminders', 'late', Buffer.from('late'), { headers: { 'x-delay': 7_200_000 } })
  await ch.waitForConfirms()

  await page.goto(`${broker.httpUrl}#/exchanges/%2F/reminders`)
  await page.fill('#login input[name=username]', 'guest')
  await page.fill('#login input[name=password]', 'guest')
  await page.click('#login button[type=submit]')
  const rows = page.locator('details.section:has(summary:text("Delayed messages")) tbody tr')
  await rows.nth(2).waitFor()
  const facts = await page.locator('dl.facts').first().innerText()
  assert.match(facts, /Delayed messages\s+3/)
  const cells = async (i: number): Promise<string[]> =>
    (await rows.nth(i).locator('td').allInnerTexts()).map((t) => t.trim())
  const first = await cells(0)
  assert.equal(first[1], 'ping')
  assert.equal(first[2], 'ping-1')
  assert.match(first[3] ?? '', /delay 1m 0s, 5 deliveries 30s apart/)
  assert.equal(first[4], '4')
  assert.equal((await cells(1))[2], 'invoice-1')

  await rows.nth(0).getByRole('button', { name: 'Cancel' }).click()
  for (let i = 0; i < 100 && (await rows.count()) !== 2; i++) await page.waitForTimeout(50)
  assert.equal((await cells(0))[2], 'invoice-1')
  const left = await (
    await fetch(`${broker.httpUrl}api/exchanges/%2F/reminders`, {
      headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') },
    })
  ).json()
  assert.equal((left as { messages_delayed: number }).messages_delayed, 2)

  await page.getByRole('button', { name: 'Purge delayed messages' }).click()
  await page.locator('dialog.confirm-dialog button.confirm').click()
  await page
    .locator('details.section:has(summary:text("Delayed messages")) :text("No delayed messages")')
    .waitFor()
  assert.deepEqual(pageErrors, [])
  await conn.close()
})
