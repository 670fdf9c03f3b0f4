import { tablesChangedBy } from './tables-changed';

describe('tablesChangedBy (the parser loaded on first use)', () => {
  it('names the tables DDL and DML change, not the ones only referenced', async () => {
    const tables = await tablesChangedBy([
      'ALTER TABLE users ADD COLUMN name text; CREATE INDEX ix_notes_user ON notes (user_id)',
      'CREATE TABLE tags (id int REFERENCES accounts (id)); SELECT * FROM projects',
      'DROP TABLE old_things; TRUNCATE events',
    ]);
    expect(tables).toEqual(['events', 'notes', 'old_things', 'tags', 'users']);
  });
});
