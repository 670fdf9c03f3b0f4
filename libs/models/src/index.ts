export { User } from './lib/user.entity';
export { Project } from './lib/project.entity';
export { Tenant } from './lib/tenant.entity';
export { AuditEvent } from './lib/audit-event.entity';
export { PageView } from './lib/page-view.entity';
