export { hashPassword, checkPassword, HASHING_ALGORITHM } from './password.js'
export { UserRegistry, type User, type Permission, type TopicGrant, type TopicPermission } from './users.js'
export { MECHANISMS, type Mechanism, type Credentials, parsePlain, parseAmqplain } from './sasl.js'
export {
  checkPermission,
  checkPermitted,
  isPermitted,
  permits,
  PermissionAuthorizer,
  resourceName,
  topicPermits,
  type TopicAccess,
  type Access,
  type ResourceKind,
} from './authorize.js'
