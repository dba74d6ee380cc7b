import {
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  ScalarType,
} from "@bufbuild/protobuf";
import { scalarZeroValue } from "@bufbuild/protobuf/reflect";
import {
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { type AnyServiceDefinition, createId, openDatabase } from "@kassa/platform";
import { captureLogs, testClient, testTokens } from "@kassa/platform/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceDefinitions } from "./service-definitions.js";
import { type CliPlatform, startCliPlatform } from "./testing/cli-platform.test-support.js";

// Every RPC of the six services that takes text, found from their descriptors (so a new RPC
// or field is covered without touching this file), gets hostile strings in each of its string
// places, over Connect JSON and over gRPC, from a caller holding the right credentials. Each
// must be refused with INVALID_ARGUMENT naming the field, nothing may be written, and no log
// line may hold the customer data sent alongside.

// Real-looking customer data and a card token, sent in every field that takes them.
const email = "jane.doe+hygiene@example.com";
const ip = "203.0.113.58";
const deviceId = "dev-3f9c2e71a8b4hygiene";
const paymentMethod = "tok_live_hygiene4eC39HqLyjWDarj";
const sentData = [email, ip, deviceId, paymentMethod];

// Ids a request may name, by field: valid-looking, so a request that slipped through would
// get as far as the handlers can take it.
const idPrefixes: Readonly<Record<string, string>> = {
  merchant_id: "mer",
  payment_id: "pay",
  order_id: "ord",
  refund_id: "ref",
  charge_id: "ch",
  settlement_id: "stl",
  api_key_id: "key",
  entry_id: "blk",
};

/** Clean text for a field, by its name: customer data where a field holds it. */
function cleanText(fieldName: string): string {
  if (fieldName === "email") return email;
  if (fieldName === "ip") return ip;
  if (fieldName === "device_id") return deviceId;
  if (fieldName === "payment_method") return paymentMethod;
  if (fieldName === "currency") return "USD";
  if (fieldName === "channel") return "sandbox";
  const prefix = idPrefixes[fieldName];
  return prefix ? createId(prefix) : "clean";
}
const cleanKey = "clean_key";

type Init = Record<string, unknown>;

/** A place in a request a string can go. */
interface TextSlot {
  /** How the platform names it: `customer.email`, `metadata` (a key), `metadata["clean_key"]`. */
  readonly name: string;
  /** How protobuf-es's JSON decoder names it: `kassa.gateway.v1.Customer.email`. */
  readonly protoName: string;
  /** What it holds in a clean request. */
  readonly clean: string;
  /** Puts `value` in this place of a clean request. */
  put(init: Init, value: string): void;
}

function getField(init: Init, field: DescField): unknown {
  if (!field.oneof) return init[field.localName];
  const chosen = init[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
  return chosen?.case === field.localName ? chosen.value : undefined;
}

function setField(init: Init, field: DescField, value: unknown): void {
  if (field.oneof) init[field.oneof.localName] = { case: field.localName, value };
  else init[field.localName] = value;
}

/** A request with clean text in every string place (one list item, one map entry). */
function cleanRequest(desc: DescMessage, seen: ReadonlySet<DescMessage> = new Set([desc])): Init {
  const init: Init = {};
  for (const field of desc.fields) {
    if (field.oneof && init[field.oneof.localName] !== undefined) continue;
    const value = cleanValue(field, seen);
    if (value !== undefined) setField(init, field, value);
  }
  return init;
}

function cleanValue(field: DescField, seen: ReadonlySet<DescMessage>): unknown {
  const message = (desc: DescMessage) =>
    seen.has(desc) ? undefined : cleanRequest(desc, new Set([...seen, desc]));
  switch (field.fieldKind) {
    case "scalar":
      return field.scalar === ScalarType.STRING ? cleanText(field.name) : undefined;
    case "message":
      return message(field.message);
    case "list":
      if (field.listKind === "scalar" && field.scalar === ScalarType.STRING) {
        return [cleanText(field.name)];
      }
      return field.listKind === "message" ? [message(field.message) ?? {}] : undefined;
    case "map": {
      const key = field.mapKey === ScalarType.STRING ? cleanKey : "1";
      if (field.mapKind === "message") return { [key]: message(field.message) ?? {} };
      if (field.mapKind === "scalar" && field.scalar === ScalarType.STRING) {
        return { [key]: cleanText(field.name) };
      }
      // A string-keyed map of other values: one entry, so its key has a place.
      if (field.mapKey !== ScalarType.STRING) return undefined;
      return { [key]: field.mapKind === "scalar" ? scalarZeroValue(field.scalar, false) : 0 };
    }
    default:
      return undefined;
  }
}

/** Every place a string can go in `desc`, at any depth. */
function textSlots(
  desc: DescMessage,
  prefix = "",
  seen: ReadonlySet<DescMessage> = new Set([desc]),
): TextSlot[] {
  const slots: TextSlot[] = [];
  for (const field of desc.fields) {
    const name = prefix === "" ? field.name : `${prefix}.${field.name}`;
    const protoName = `${desc.typeName}.${field.name}`;
    const inside = (child: DescMessage, childPrefix: string, reach: (init: Init) => Init) => {
      if (seen.has(child)) return;
      for (const slot of textSlots(child, childPrefix, new Set([...seen, child]))) {
        slots.push({ ...slot, put: (init, value) => slot.put(reach(init), value) });
      }
    };
    switch (field.fieldKind) {
      case "scalar":
        if (field.scalar === ScalarType.STRING) {
          slots.push({
            name,
            protoName,
            clean: cleanText(field.name),
            put: (init, value) => setField(init, field, value),
          });
        }
        break;
      case "message":
        inside(field.message, name, (init) => {
          if (getField(init, field) === undefined)
            setField(init, field, cleanRequest(field.message));
          return getField(init, field) as Init;
        });
        break;
      case "list":
        if (field.listKind === "scalar" && field.scalar === ScalarType.STRING) {
          slots.push({
            name: `${name}[0]`,
            protoName,
            clean: cleanText(field.name),
            put: (init, value) => setField(init, field, [value]),
          });
        } else if (field.listKind === "message") {
          inside(
            field.message,
            `${name}[0]`,
            (init) => (getField(init, field) as Init[])[0] as Init,
          );
        }
        break;
      case "map": {
        if (field.mapKey === ScalarType.STRING) {
          slots.push({
            name,
            protoName,
            clean: cleanKey,
            put: (init, value) => {
              const entries = getField(init, field) as Init;
              setField(init, field, { [value]: entries[cleanKey] });
            },
          });
        }
        const key = field.mapKey === ScalarType.STRING ? cleanKey : "1";
        const entryName = `${name}[${JSON.stringify(key)}]`;
        if (field.mapKind === "scalar" && field.scalar === ScalarType.STRING) {
          slots.push({
            name: entryName,
            protoName,
            clean: cleanText(field.name),
            put: (init, value) => setField(init, field, { [key]: value }),
          });
        } else if (field.mapKind === "message") {
          inside(field.message, entryName, (init) => (getField(init, field) as Init)[key] as Init);
        }
        break;
      }
    }
  }
  return slots;
}

/** What is sent, and who refuses it: the platform's interceptor, or protobuf-es decoding. */
interface Hostile {
  readonly label: string;
  make(clean: string): string;
  readonly refusedBy: "interceptor" | "decoder";
  /** gRPC carries only UTF-8: a lone surrogate reaches the server as U+FFFD or not at all. */
  readonly overGrpc: boolean;
}
const hostiles: readonly Hostile[] = [
  { label: "NUL", make: (clean) => `${clean}\u0000`, refusedBy: "interceptor", overGrpc: true },
  { label: "bell", make: (clean) => `${clean}\u0007`, refusedBy: "interceptor", overGrpc: true },
  {
    label: "escape",
    make: (clean) => `\u001b[2J${clean}`,
    refusedBy: "interceptor",
    overGrpc: true,
  },
  {
    label: "lone surrogate",
    make: (clean) => `\ud800${clean}`,
    refusedBy: "decoder",
    overGrpc: false,
  },
];

/** One RPC that takes text, with the service that serves it. */
interface TextRpc {
  readonly definition: AnyServiceDefinition;
  readonly method: DescMethod;
  readonly slots: TextSlot[];
}

const textRpcs: TextRpc[] = serviceDefinitions.flatMap((definition) =>
  definition.service.methods
    .map((method) => ({ definition, method, slots: textSlots(method.input) }))
    .filter((rpc) => rpc.slots.length > 0),
);
const rpcName = (rpc: TextRpc) => `${rpc.definition.service.typeName}/${rpc.method.name}`;

const logs = captureLogs();
let platform: CliPlatform;
let apiKey: string;
let rowsBefore: Record<string, number>;

/** Rows in every table of the six services' schemas. */
async function rowCounts(): Promise<Record<string, number>> {
  const database = await openDatabase({
    url: platform.databaseUrl,
    schema: {},
    applicationName: "kassa-test-rows",
  });
  try {
    const schemas = serviceDefinitions.map((definition) => definition.database.schemaName);
    const tables = (await database.db.execute(sql`
      select table_schema, table_name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema in ${schemas}
      order by 1, 2`)) as unknown as Array<{ table_schema: string; table_name: string }>;
    const counts: Record<string, number> = {};
    for (const { table_schema: schema, table_name: table } of tables) {
      const [row] = (await database.db.execute(
        sql.raw(`select count(*)::int as rows from "${schema}"."${table}"`),
      )) as unknown as Array<{ rows: number }>;
      counts[`${schema}.${table}`] = row?.rows ?? -1;
    }
    return counts;
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  platform = await startCliPlatform("hygiene", undefined, { logs });
  const merchants = testClient(MerchantService, serviceUrl("merchant"), testTokens.admin);
  const { merchant } = await merchants.createMerchant({ name: "Hygiene Test Merchant" });
  ({ secret: apiKey } = await merchants.createApiKey({
    merchantId: merchant?.id ?? "",
    name: "hygiene",
  }));
  rowsBefore = await rowCounts();
});
afterAll(() => platform.stop());

function serviceUrl(name: string): string {
  const url = platform.services[name]?.url;
  if (!url) throw new Error(`${name} is not running`);
  return url;
}

/** The credentials its real callers present: an API key, or the internal or admin token. */
function credentialsFor(rpc: TextRpc): string {
  const { access } = rpc.definition;
  if (access.kind === "public") return apiKey;
  return access.adminMethods?.includes(rpc.method.name) ? testTokens.admin : testTokens.internal;
}

function bearer(token: string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}

/** Calls the RPC with `request` and returns its failure. */
async function refusal(transport: Transport, rpc: TextRpc, request: Init): Promise<ConnectError> {
  const client = createClient(
    rpc.definition.service as DescService,
    transport,
  ) as unknown as Record<string, (request: Init) => Promise<unknown>>;
  const call = client[rpc.method.localName];
  if (!call) throw new Error(`no client method for ${rpcName(rpc)}`);
  try {
    await call(request);
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error(`${rpcName(rpc)} accepted the request`);
}

let refusedByInterceptor = 0;

describe("hostile text in every RPC of the platform", () => {
  it("covers the public and internal RPCs that take text", () => {
    const names = textRpcs.map(rpcName);
    expect(names).toEqual(
      expect.arrayContaining([
        "kassa.gateway.v1.GatewayService/CreatePayment",
        "kassa.merchant.v1.MerchantService/CreateMerchant",
        "kassa.order.v1.OrderService/CreateOrder",
        "kassa.channel.v1.ChannelService/Charge",
        "kassa.risk.v1.RiskService/Assess",
        "kassa.accounting.v1.AccountingService/CreateSettlement",
      ]),
    );
    const createPayment = textRpcs.find((rpc) => rpc.method.name === "CreatePayment");
    expect(createPayment?.slots.map((slot) => slot.name)).toEqual(
      expect.arrayContaining([
        "merchant_order_no",
        "customer.email",
        "metadata",
        'metadata["clean_key"]',
      ]),
    );
    // Unary only: a streaming RPC needs its messages sent as a stream here first.
    for (const rpc of textRpcs) expect(rpc.method.methodKind).toBe("unary");
  });

  it.each(textRpcs.map((rpc) => [rpcName(rpc), rpc] as const))(
    "refuses each hostile string in %s, naming the field",
    async (_name, rpc) => {
      const interceptors = [bearer(credentialsFor(rpc))];
      const url = serviceUrl(rpc.definition.name);
      const transports = {
        "Connect JSON": createConnectTransport({
          baseUrl: url,
          httpVersion: "1.1",
          useBinaryFormat: false,
          interceptors,
        }),
        gRPC: createGrpcTransport({ baseUrl: url, interceptors }),
      };
      for (const slot of rpc.slots) {
        for (const hostile of hostiles) {
          for (const [protocol, transport] of Object.entries(transports)) {
            if (protocol === "gRPC" && !hostile.overGrpc) continue;
            const request = cleanRequest(rpc.method.input);
            slot.put(request, hostile.make(slot.clean));
            const error = await refusal(transport, rpc, request);
            const context = `${slot.name} ← ${hostile.label} over ${protocol}: ${error.rawMessage}`;
            expect(error.code, context).toBe(Code.InvalidArgument);
            if (hostile.refusedBy === "interceptor") {
              expect(error.rawMessage, context).toMatch(
                new RegExp(`^${regexLiteral(slot.name)}: `),
              );
              refusedByInterceptor++;
            } else {
              expect(error.rawMessage, context).toContain(slot.protoName);
            }
            for (const sent of sentData) expect(error.rawMessage, context).not.toContain(sent);
          }
        }
      }
    },
  );

  it("wrote nothing, and logged every refusal but none of the customer's data", async () => {
    expect(await rowCounts()).toEqual(rowsBefore);
    expect(Object.keys(rowsBefore)).toContain("gateway.payments");

    const everything = logs.lines.join("\n");
    for (const sent of sentData) expect(everything).not.toContain(sent);
    const refusals = logs.lines.filter((line) => line.includes('"code":"invalid_argument"'));
    expect(refusals.length).toBe(refusedByInterceptor);
    expect(refusedByInterceptor).toBeGreaterThan(0);
  });
});

function regexLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
