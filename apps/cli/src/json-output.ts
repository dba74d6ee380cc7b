import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { toJsonString } from "@bufbuild/protobuf";

/**
 * A response message in the proto3 JSON form the Connect endpoints speak (what curl shows),
 * for `--json`: camelCase fields, int64 as strings, enums by name.
 */
export function messageJson<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): string {
  return `${toJsonString(schema, message, { prettySpaces: 2 })}\n`;
}
