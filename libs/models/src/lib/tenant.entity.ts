import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** app1's tenant registry, in the global schema of its users database. */
@Entity({ name: 'tenants' })
export class Tenant {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 63 })
  id!: string;

  @Column({ name: 'plan', type: 'varchar', length: 32, default: 'free' })
  plan!: string;

  @Column({ name: 'region', type: 'varchar', length: 32, default: 'eu' })
  region!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
