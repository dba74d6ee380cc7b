import type { DescEnum } from "@bufbuild/protobuf";

/** An enum value as a person reads it: PAYMENT_STATUS_SUCCEEDED → `succeeded`. */
export function enumLabel(schema: DescEnum, value: number): string {
  const described = schema.value[value];
  return described ? described.localName.toLowerCase().replaceAll("_", " ") : `unknown (${value})`;
}
