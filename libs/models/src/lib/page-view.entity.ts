import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** app2 only: page views in the analytics database. */
@Entity({ name: 'page_views' })
@Index('ix_page_views_user_id_viewed_at', ['userId', 'viewedAt'])
export class PageView {
  @PrimaryGeneratedColumn({ name: 'id', type: 'bigint' })
  id!: string;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ name: 'path', type: 'varchar', length: 2048 })
  path!: string;

  @Column({ name: 'viewed_at', type: 'timestamptz', default: () => 'now()' })
  viewedAt!: Date;
}
