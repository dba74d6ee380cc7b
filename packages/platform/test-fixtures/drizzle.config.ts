import { defineConfig } from "drizzle-kit";

// Regenerate the fixture migration: npx drizzle-kit generate --config test-fixtures/drizzle.config.ts
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/test-fixtures/fixture-schema.ts",
  out: "./test-fixtures/drizzle",
  schemaFilter: ["fixture"],
});
