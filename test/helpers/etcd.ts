// A real etcd (Debian's etcd-server) for the cluster tests: one member on free loopback ports with a
// fresh data directory, stopped and removed afterwards. A missing etcd fails with the command that
// installs it (.ci/run does): skipping would hide clustering that no longer works.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ETCD = '/usr/bin/etcd'

export interface RunningEtcd {
  readonly url: string
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

export async function startEtcd(): Promise<RunningEtcd> {
  if (!existsSync(ETCD)) {
    throw new Error(
      `etcd is not installed at ${ETCD}; the cluster tests need it. ` +
        'Install it with `apt-get update && apt-get install -y etcd-server` (.ci/run does this).',
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'warren-etcd-'))
  const [client, peer] = [await freePort(), await freePort()]
  const url = `http://127.0.0.1:${client}`
  const peerUrl = `http://127.0.0.1:${peer}`
  const child: ChildProcess = spawn(
    ETCD,
    [
      '--name=test',
      `--data-dir=${join(dir, 'data')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=test=${peerUrl}`,
    ],
    { stdio: 'ignore' },
  )
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const deadline = Date.now() + 20_000
  for (;;) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL')
      throw new Error(`etcd did not start on ${url}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
