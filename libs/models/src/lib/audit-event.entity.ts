import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** app1 only: the audit database. */
@Entity({ name: 'audit_events' })
@Index('ix_audit_events_occurred_at', ['occurredAt'])
@Index('ix_audit_events_actor', ['actor'])
export class AuditEvent {
  @PrimaryGeneratedColumn({ name: 'id', type: 'bigint' })
  id!: string;

  @Column({ name: 'actor', type: 'varchar', length: 320 })
  actor!: string;

  @Column({ name: 'action', type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'payload', type: 'jsonb', default: () => "'{}'" })
  payload!: Record<string, unknown>;

  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'now()' })
  occurredAt!: Date;
}
