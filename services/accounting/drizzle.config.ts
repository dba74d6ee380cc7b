import { defineConfig } from "drizzle-kit";

// `npm run db:generate -w @kassa/accounting` writes a migration for changes to src/db/schema.ts.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
  schemaFilter: ["accounting"],
});
