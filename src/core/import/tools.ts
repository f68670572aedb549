/** Every tool `migrate import --from` knows, by name. */
import { alembic, dbmate, flyway, golangMigrate, goose, liquibase, rails } from './tools-version.js';
import { dbMigrate, django, knex, nodePgMigrate, prisma, sequelize, typeorm } from './tools-name.js';
import type { ImportToolName, ToolReader } from './types.js';

/** The reader of each tool (docs/import.md describes each). */
export const TOOL_READERS: Readonly<Record<ImportToolName, ToolReader>> = Object.freeze({
  flyway, liquibase, knex, 'db-migrate': dbMigrate, 'golang-migrate': golangMigrate, dbmate, goose,
  'node-pg-migrate': nodePgMigrate, sequelize, typeorm, prisma, rails, django, alembic,
});
