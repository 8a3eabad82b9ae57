// ReadTurns over a real loopback socket pair: a connection that has read its share in one event-loop turn
// is paused until the next turn (then resumed, unless its owner holds it), and every byte still arrives.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { ReadTurns } from '../../src/shared/index.js'

async function pair(): Promise<{ server: Socket; client: Socket; close: () => void }> {
  const listener = createServer()
  listener.listen(0, '127.0.0.1')
  await once(listener, 'listening')
  const port = (listener.address() as { port: number }).port
  const accepted = once(listener, 'connection')
  const client = connect(port, '127.0.0.1')
  const [server] = (await accepted) as [Socket]
  return {
    server,
    client,
    close: () => {
      client.destroy()
      server.destroy()
      listener.close()
    },
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

test('read turns: past its share a socket is paused for the rest of the turn, then resumed; nothing is lost', async () => {
  const { server, client, close } = await pair()
  let held = false
  const turns = new ReadTurns(server, () => held, 1000)
  let received = 0
  let pausedAfterRead = 0
  server.on('data', (chunk: Buffer) => {
    received += chunk.length
    turns.read(chunk.length)
    if (server.isPaused()) pausedAfterRead++
  })
  client.write(Buffer.alloc(300_000, 1))
  await once(server, 'data')
  assert.ok(server.isPaused(), 'a read of 1000 bytes or more uses up the turn')
  await nextTurn()
  await nextTurn()
  assert.ok(!server.isPaused() || received < 300_000, 'the next turn resumes it')
  const deadline = Date.now() + 5000
  while (received < 300_000 && Date.now() < deadline) await nextTurn()
  assert.equal(received, 300_000)
  assert.ok(pausedAfterRead > 0)
  await nextTurn()
  await nextTurn()
  assert.ok(!server.isPaused(), 'resumed once the turn after its last read came')
  // A socket its owner holds stays paused past the turn: the owner resumes it.
  held = true
  client.write(Buffer.alloc(5000, 2))
  await once(server, 'data')
  assert.ok(server.isPaused())
  await nextTurn()
  await nextTurn()
  assert.ok(server.isPaused(), 'held: not resumed by the next turn')
  held = false
  server.resume()
  close()
})

test('read turns: reads below the share leave the socket flowing', async () => {
  const { server, client, close } = await pair()
  const turns = new ReadTurns(server, () => false, 64 * 1024)
  server.on('data', (chunk: Buffer) => turns.read(chunk.length))
  client.write(Buffer.alloc(100, 1))
  await once(server, 'data')
  assert.ok(!server.isPaused())
  close()
})
