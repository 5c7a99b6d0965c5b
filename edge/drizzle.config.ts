import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './edge/gate/db/schema.ts',
  out: './edge/gate/db/migrations',
  casing: 'snake_case',
});
