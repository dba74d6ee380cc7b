import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";

/** A protobuf timestamp as UTC to the second (`2026-11-24 21:34:10Z`), or `-` when unset. */
export function formatTime(timestamp: Timestamp | undefined): string {
  if (!timestamp) return "-";
  return formatDate(timestampDate(timestamp));
}

/** A date as UTC to the second: `2026-11-24 21:34:10Z`. */
export function formatDate(date: Date): string {
  return date
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}
