export { auditApiRef } from './AuditApi';
export type { AuditApi } from './AuditApi';
export {
  AuditClient,
  errorMessage,
  isNotAllowed,
  toQueryString,
} from './AuditClient';
