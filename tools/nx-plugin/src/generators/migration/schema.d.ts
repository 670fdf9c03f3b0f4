export interface MigrationGeneratorSchema {
  project: string;
  name: string;
  database?: string;
  track?: 'global' | 'tenant';
  timestamp?: number;
}
