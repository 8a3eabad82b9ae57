// Users, their tags and per-vhost permissions. Permissions are RabbitMQ's configure/write/read regular
// expressions (enforced by ./authorize.ts).
import { checkPassword, hashPassword } from './password.js'

export interface User {
  readonly name: string
  passwordHash: string
  tags: string[]
}

export interface Permission {
  configure: string
  write: string
  read: string
}

export class UserRegistry {
  readonly users = new Map<string, User>()
  /** vhost → user → permission */
  readonly permissions = new Map<string, Map<string, Permission>>()

  addUser(name: string, password: string, tags: string[] = []): User {
    const user: User = { name, passwordHash: hashPassword(password), tags }
    this.users.set(name, user)
    return user
  }

  /** Adds a user with an already hashed password (from stored or imported definitions). */
  restoreUser(name: string, passwordHash: string, tags: string[]): User {
    const user: User = { name, passwordHash, tags }
    this.users.set(name, user)
    return user
  }

  /** The user when the password is right, else undefined. */
  authenticate(name: string, password: string): User | undefined {
    const user = this.users.get(name)
    return user && checkPassword(password, user.passwordHash) ? user : undefined
  }

  setPermission(user: string, vhost: string, p: Permission): void {
    let byUser = this.permissions.get(vhost)
    if (!byUser) this.permissions.set(vhost, (byUser = new Map()))
    byUser.set(user, p)
  }

  permission(user: string, vhost: string): Permission | undefined {
    return this.permissions.get(vhost)?.get(user)
  }
}
