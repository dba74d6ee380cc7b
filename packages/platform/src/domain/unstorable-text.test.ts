import {
  create,
  createFileRegistry,
  type DescMessage,
  type Message,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import {
  type DescriptorProtoSchema,
  type FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
} from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createInputHygieneInterceptor } from "../server/input-hygiene.js";
import { textProblem, unstorableText } from "./unstorable-text.js";

// A fixture contract with every shape a string can hide in:
//
//   message Inner { string value = 1; string cancellation_reason = 2; }
//   message Fixture {
//     string name = 1; string description = 2; Inner inner = 3;
//     repeated string tags = 4; repeated Inner items = 5;
//     map<string, string> metadata = 6; map<string, Inner> by_key = 7;
//     oneof choice { string text_choice = 8; Inner inner_choice = 9; }
//     bytes blob = 10; int32 count = 11; Fixture child = 12;
//   }
//   service FixtureService { rpc Echo(Fixture) returns (Fixture); }
type FieldInit = MessageInitShape<typeof FieldDescriptorProtoSchema>;
const field = (name: string, number: number, type: Type, more: FieldInit = {}): FieldInit => ({
  name,
  number,
  type,
  label: Label.OPTIONAL,
  ...more,
});
const message = (typeName: string) => ({ type: Type.MESSAGE, typeName });
const mapEntry = (
  name: string,
  value: FieldInit,
): MessageInitShape<typeof DescriptorProtoSchema> => ({
  name,
  field: [field("key", 1, Type.STRING), field("value", 2, Type.STRING, value)],
  options: { mapEntry: true },
});
const repeated = { label: Label.REPEATED };

const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "fixture/v1/fixture.proto",
    package: "fixture.v1",
    syntax: "proto3",
    messageType: [
      {
        name: "Inner",
        field: [field("value", 1, Type.STRING), field("cancellation_reason", 2, Type.STRING)],
      },
      {
        name: "Fixture",
        field: [
          field("name", 1, Type.STRING),
          field("description", 2, Type.STRING),
          field("inner", 3, Type.MESSAGE, message(".fixture.v1.Inner")),
          field("tags", 4, Type.STRING, repeated),
          field("items", 5, Type.MESSAGE, {
            ...message(".fixture.v1.Inner"),
            ...repeated,
          }),
          field("metadata", 6, Type.MESSAGE, {
            typeName: ".fixture.v1.Fixture.MetadataEntry",
            ...repeated,
          }),
          field("by_key", 7, Type.MESSAGE, {
            typeName: ".fixture.v1.Fixture.ByKeyEntry",
            ...repeated,
          }),
          field("text_choice", 8, Type.STRING, { oneofIndex: 0 }),
          field("inner_choice", 9, Type.MESSAGE, {
            ...message(".fixture.v1.Inner"),
            oneofIndex: 0,
          }),
          field("blob", 10, Type.BYTES),
          field("count", 11, Type.INT32),
          field("child", 12, Type.MESSAGE, message(".fixture.v1.Fixture")),
        ],
        oneofDecl: [{ name: "choice" }],
        nestedType: [
          mapEntry("MetadataEntry", {}),
          mapEntry("ByKeyEntry", { type: Type.MESSAGE, typeName: ".fixture.v1.Inner" }),
        ],
      },
    ],
    service: [
      {
        name: "FixtureService",
        method: [
          { name: "Echo", inputType: ".fixture.v1.Fixture", outputType: ".fixture.v1.Fixture" },
        ],
      },
    ],
  }),
  () => undefined,
);
const Fixture = registry.getMessage("fixture.v1.Fixture") as DescMessage;
const FixtureService = registry.getService("fixture.v1.FixtureService");
if (!Fixture || !FixtureService) throw new Error("fixture descriptors missing");

const fixture = (init: Record<string, unknown>): Message => create(Fixture, init as never);

const clean = {
  name: "Widget order 42 — café ☕ 🧾",
  description: "Two lines,\r\n\ttabbed",
  inner: { value: "ok", cancellationReason: "customer asked\nby phone" },
  tags: ["a", "b"],
  items: [{ value: "first" }, { value: "second" }],
  metadata: { order_ref: "A-1\nB-2", ключ: "значение" },
  byKey: { USD: { value: "x" } },
  choice: { case: "textChoice", value: "chosen" },
  blob: new Uint8Array([0, 0xff]),
  count: 7,
};

describe("unstorableText", () => {
  it("accepts ordinary text, emoji, line breaks in free text and bytes fields", () => {
    expect(unstorableText(Fixture, fixture(clean))).toBeUndefined();
  });

  it.each([
    ["a top-level field", { name: "a\u0000b" }, "name", "must not contain NUL characters (U+0000)"],
    [
      "a nested field",
      { inner: { value: "ring\u0007" } },
      "inner.value",
      "must not contain control characters (found U+0007)",
    ],
    ["a repeated string", { tags: ["ok", "\u007f"] }, "tags[1]", "(found U+007F)"],
    [
      "a repeated message",
      { items: [{}, { value: "\u0085" }] },
      "items[1].value",
      "(found U+0085)",
    ],
    [
      "a map value",
      { metadata: { note: "\ud800" } },
      'metadata["note"]',
      "must be valid Unicode text (found an unpaired surrogate)",
    ],
    [
      "a map key",
      { metadata: { "bad\u0000key": "fine" } },
      "metadata",
      "keys must not contain NUL characters (U+0000)",
    ],
    [
      "a message map value",
      { byKey: { EUR: { value: "\u001b[31m" } } },
      'by_key["EUR"].value',
      "(found U+001B)",
    ],
    [
      "a oneof string",
      { choice: { case: "textChoice", value: "\udc00x" } },
      "text_choice",
      "unpaired",
    ],
    [
      "a oneof message",
      { choice: { case: "innerChoice", value: { value: "\u0000" } } },
      "inner_choice.value",
      "NUL",
    ],
    ["a recursive message", { child: { child: { name: "\u0001" } } }, "child.child.name", "U+0001"],
    ["a line break outside free text", { name: "two\nlines" }, "name", "(found U+000A)"],
    [
      "a bell in free text",
      { description: "ding\u0007" },
      "description",
      "must not contain control characters other than tab and line breaks (found U+0007)",
    ],
    ["a line break in a map key", { metadata: { "a\nb": "x" } }, "metadata", "keys must not"],
  ])("names %s", (_case, hostile, name, problem) => {
    const violation = unstorableText(Fixture, fixture({ ...clean, ...hostile }));
    expect(violation?.field).toBe(name);
    expect(violation?.problem).toContain(problem);
  });

  it("never echoes the value it refuses", () => {
    const email = "jane.doe@example.com";
    const violation = unstorableText(Fixture, fixture({ inner: { value: `${email}\u0000` } }));
    expect(JSON.stringify(violation)).not.toContain(email);
  });

  it("quotes and cuts a long map key it names", () => {
    const key = `${"k".repeat(50)}"`;
    const violation = unstorableText(Fixture, fixture({ metadata: { [key]: "\u0000" } }));
    expect(violation?.field).toBe(`metadata["${"k".repeat(40)}…"]`);
  });
});

describe("textProblem", () => {
  it("allows TAB, LF and CR only in free text", () => {
    for (const separator of ["\t", "\n", "\r"]) {
      expect(textProblem(`a${separator}b`, true)).toBeUndefined();
      expect(textProblem(`a${separator}b`, false)).toBeDefined();
    }
  });

  it("accepts printable Unicode beyond ASCII, including U+FFFD and non-breaking space", () => {
    expect(textProblem("\u00a0\ufffd€𝄞", false)).toBeUndefined();
  });
});

describe("createInputHygieneInterceptor", () => {
  it("refuses before the handler runs, with INVALID_ARGUMENT naming the field", async () => {
    let handled = 0;
    const transport = createRouterTransport(
      (router) => {
        router.service(FixtureService, {
          echo(request: Message) {
            handled++;
            return request;
          },
        } as never);
      },
      { router: { interceptors: [createInputHygieneInterceptor()] } },
    );
    const client = createClient(FixtureService, transport) as unknown as {
      echo(request: Record<string, unknown>): Promise<unknown>;
    };

    await client.echo(clean);
    expect(handled).toBe(1);

    const error = await client.echo({ inner: { value: "x\u0000" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toBe(
      "inner.value: must not contain NUL characters (U+0000)",
    );
    expect(handled).toBe(1);
  });
});
