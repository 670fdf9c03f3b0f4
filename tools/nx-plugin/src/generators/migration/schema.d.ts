export interface MigrationGeneratorSchema {
  project: string;
  name: string;
  database?: string;
  track?: 'global' | 'tenant';
  timestamp?: number;
  /** Fill up/down from the difference between the entities and a scratch database at head. */
  generate?: boolean;
}
