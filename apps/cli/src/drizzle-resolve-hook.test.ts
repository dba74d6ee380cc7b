import type { ResolveFnOutput, ResolveHookContext } from "node:module";
import { describe, expect, it } from "vitest";
import { resolveInsideDrizzle } from "./drizzle-resolve-hook.js";

const drizzleFile = "file:///repo/node_modules/drizzle-orm/pg-core/table.js";
const context = (parentURL: string | undefined): ResolveHookContext => ({
  conditions: ["node", "import"],
  importAttributes: {},
  parentURL,
});
const fromNode: ResolveFnOutput = { url: "file:///from-node.js" };
const next = () => fromNode;

describe("resolveInsideDrizzle", () => {
  it("joins drizzle-orm's relative imports of its own files as ES modules", () => {
    expect(resolveInsideDrizzle("../column.js", context(drizzleFile), next)).toEqual({
      url: "file:///repo/node_modules/drizzle-orm/column.js",
      format: "module",
      shortCircuit: true,
    });
  });

  it("leaves every other import to Node", () => {
    expect(resolveInsideDrizzle("postgres", context(drizzleFile), next)).toBe(fromNode);
    expect(resolveInsideDrizzle("./table.cjs", context(drizzleFile), next)).toBe(fromNode);
    expect(resolveInsideDrizzle("./x.js", context("file:///repo/src/main.js"), next)).toBe(
      fromNode,
    );
    expect(resolveInsideDrizzle("./x.js", context(undefined), next)).toBe(fromNode);
  });

  it("still lets drizzle-orm load once registered", async () => {
    const { pgTable, text } = await import("drizzle-orm/pg-core");
    expect(pgTable("t", { id: text() })).toBeDefined();
  });
});
