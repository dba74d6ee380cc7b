import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type AssessRequest,
  type AssessResponse,
  AssessResponseSchema,
  RiskDecision,
} from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { createId, requestFields, Secret } from "@kassa/platform";
import type { BlocklistCandidate } from "../db/blocklist-repository.js";
import { decisionRepository } from "../db/decision-repository.js";
import type { BlocklistEntryTypeName, DecisionRow } from "../db/schema.js";
import { canonicalEmail } from "../email-address.js";
import { canonicalIp } from "../ip-address.js";
import { amountLimitOf, blocklistReasonOf, decisionFor, scoreFindings } from "../risk-rules.js";
import type { RiskContext } from "./risk-context.js";

const decisions = {
  APPROVE: RiskDecision.APPROVE,
  REVIEW: RiskDecision.REVIEW,
  REJECT: RiskDecision.REJECT,
} as const satisfies Record<DecisionRow["decision"], RiskDecision>;

// The order blocklist reasons are listed in, whatever order the rows come back in.
const blocklistOrder: readonly BlocklistEntryTypeName[] = [
  "EMAIL",
  "IP",
  "DEVICE_ID",
  "PAYMENT_METHOD",
];

/**
 * Assess: scores one payment attempt (see `scoreFindings` for the rules and points) and
 * records the decision with its inputs. Not idempotent: every call counts towards the
 * velocity counters and is recorded. Redis being down skips the velocity rules
 * (`velocity_unavailable`) rather than failing the payment.
 */
export async function assess(
  context: RiskContext,
  request: AssessRequest,
): Promise<AssessResponse> {
  // Validate and normalise, so values match the blocklist and counters in one form. The
  // customer's data and the payment method travel masked from here on.
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const amount = requestFields.amount("amount", request.amount);
  const currency = requestFields.currency("currency", request.currency);
  const customer = request.customer;
  const email = customer?.email
    ? new Secret(canonicalEmail("customer.email", customer.email), "email")
    : undefined;
  const ip = customer?.ip ? new Secret(canonicalIp("customer.ip", customer.ip), "ip") : undefined;
  const deviceId = customer?.deviceId
    ? new Secret(
        requestFields.text("customer.device_id", customer.deviceId, { max: 128 }),
        "device id",
      )
    : undefined;
  const paymentMethod = request.paymentMethod
    ? new Secret(
        requestFields.text("payment_method", request.paymentMethod, { max: 255 }),
        "payment method",
      )
    : undefined;
  const paymentId = request.paymentId
    ? requestFields.id("payment_id", request.paymentId, "pay")
    : undefined;
  const at = context.clock.now();

  // Load what the rules look at: the counters (Redis) now; the blocklist (Postgres) is read by
  // the statement that records the decision, so the assessment costs one round trip and one
  // commit there.
  const candidates: BlocklistCandidate[] = [];
  if (email) candidates.push({ type: "EMAIL", value: email });
  if (ip) candidates.push({ type: "IP", value: ip });
  if (deviceId) candidates.push({ type: "DEVICE_ID", value: deviceId });
  if (paymentMethod) candidates.push({ type: "PAYMENT_METHOD", value: paymentMethod });
  const velocity = await context.velocity.count({ merchantId, ip, email, deviceId });

  // Check: score the findings, with and without a blocklist match, and map each score to a
  // decision; the statement picks the one the blocklist calls for.
  const verdict = (blocklisted: BlocklistEntryTypeName[]) => {
    const { score, reasons } = scoreFindings({
      blocklisted,
      amountOverLimit: amount > amountLimitOf(context.rules, currency),
      velocityExceeded: velocity.exceeded,
      velocityAvailable: velocity.available,
    });
    return { score, reasons, decision: decisionFor(score, context.rules) };
  };
  const clean = verdict([]);
  const blocked = verdict(candidates.map((candidate) => candidate.type));

  // Persist the decision for audit, then answer with it.
  const decision = await decisionRepository.recordScreened(
    context.db,
    {
      id: createId("rsk"),
      merchantId,
      paymentId: paymentId ?? null,
      amount,
      currency,
      customerEmail: email,
      customerIp: ip,
      customerDeviceId: deviceId,
      paymentMethod,
      createdAt: at,
    },
    {
      candidates,
      at,
      clean,
      // Whichever types match, a match scores the same; its reasons lead with one per type.
      blocked: { ...blocked, reasons: clean.reasons },
      order: blocklistOrder,
      reasonOf: blocklistReasonOf,
    },
  );
  return create(AssessResponseSchema, {
    decisionId: decision.id,
    decision: decisions[decision.decision],
    score: decision.score,
    reasons: decision.reasons,
    createdAt: timestampFromDate(decision.createdAt),
  });
}
