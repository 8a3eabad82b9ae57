// RabbitMQ's rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ utf8(password))) with a
// 4-byte random salt, so password hashes move between RabbitMQ definitions exports and Warren.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export const HASHING_ALGORITHM = 'rabbit_password_hashing_sha256'

export function hashPassword(password: string, salt: Buffer = randomBytes(4)): string {
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest()
  return Buffer.concat([salt, digest]).toString('base64')
}

export function checkPassword(password: string, passwordHash: string): boolean {
  const raw = Buffer.from(passwordHash, 'base64')
  if (raw.length !== 36) return false
  const expected = Buffer.from(hashPassword(password, raw.subarray(0, 4)), 'base64')
  return timingSafeEqual(raw, expected)
}
