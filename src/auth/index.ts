export { hashPassword, checkPassword, HASHING_ALGORITHM } from './password.js'
export { UserRegistry, type User, type Permission } from './users.js'
export { MECHANISMS, type Mechanism, type Credentials, parsePlain, parseAmqplain } from './sasl.js'
export {
  checkPermission,
  checkPermitted,
  isPermitted,
  permits,
  PermissionAuthorizer,
  resourceName,
  type Access,
  type ResourceKind,
} from './authorize.js'
