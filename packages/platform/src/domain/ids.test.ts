import { describe, expect, it } from "vitest";
import { createId, isId } from "./ids.js";

describe("createId", () => {
  it("makes prefixed ULIDs that are unique and sort by creation, across refills of its random pool", async () => {
    const ids: string[] = [];
    // Each new millisecond draws 16 random characters: a few hundred milliseconds empty the
    // 4 KiB pool more than once.
    const until = Date.now() + 600;
    while (Date.now() < until) {
      ids.push(createId("pay"));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(isId("pay", id)).toBe(true);
    const randomParts = new Set(ids.map((id) => id.slice(-16)));
    expect(randomParts.size).toBe(ids.length);
  });
});
