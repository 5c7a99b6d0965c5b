import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './edge/kiosk/db/schema.ts',
  out: './edge/kiosk/db/migrations',
  casing: 'snake_case',
});
