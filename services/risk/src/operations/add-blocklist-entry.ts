import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type AddBlocklistEntryRequest,
  type AddBlocklistEntryResponse,
  AddBlocklistEntryResponseSchema,
} from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { createId, requestFields, rpcErrors } from "@kassa/platform";
import { blocklistEntryMessage } from "../blocklist-entry-message.js";
import { blocklistFields } from "../blocklist-fields.js";
import { blocklistRepository } from "../db/blocklist-repository.js";
import type { RiskContext } from "./risk-context.js";

/**
 * AddBlocklistEntry (admin): blocks a normalised value from now on, optionally until
 * `expires_at`. An active entry for the same type and value is ALREADY_EXISTS; an expired or
 * removed one does not count, so a value can be blocked again.
 */
export async function addBlocklistEntry(
  context: Pick<RiskContext, "db" | "clock">,
  request: AddBlocklistEntryRequest,
): Promise<AddBlocklistEntryResponse> {
  // Validate.
  const type = blocklistFields.type("type", request.type);
  const value = blocklistFields.value("value", type, request.value);
  const reason = requestFields.text("reason", request.reason, { max: 500, optional: true });
  const at = context.clock.now();
  const expiresAt = request.expiresAt ? timestampDate(request.expiresAt) : null;
  if (expiresAt && expiresAt <= at) {
    throw rpcErrors.invalidArgument("expires_at", "must be in the future");
  }

  // Persist, unless the value is already blocked.
  const { entry, created } = await blocklistRepository.addIfNoneActive(context.db, {
    id: createId("blk"),
    type,
    value,
    reason,
    expiresAt,
    at,
  });
  // The value is personal data (an email, an IP), so the message names only the entry.
  if (!created) {
    throw rpcErrors.alreadyExists(
      `an active ${type} blocklist entry ${entry.id} already blocks this value`,
    );
  }
  return create(AddBlocklistEntryResponseSchema, { entry: blocklistEntryMessage(entry, at) });
}
