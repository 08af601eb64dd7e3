// A fresh, migrated database per test file, on the test stack's Postgres (DATABASE_URL).
import crypto from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';

export interface TestDatabase {
  pool: pg.Pool;
  url: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the tests with `npm test`, which starts a test stack.');
  return url;
}

export async function createTestDatabase(label: string, options: { migrateUntil?: string } = {}): Promise<TestDatabase> {
  const name = `test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const pool = createPool(url.toString());
  await migrate(pool, { until: options.migrateUntil });
  return {
    pool,
    url: url.toString(),
    async drop() {
      await pool.end();
      const again = new pg.Client({ connectionString: adminUrl() });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      await again.end();
    },
  };
}
