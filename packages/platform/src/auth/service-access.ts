import { createHash, timingSafeEqual } from "node:crypto";
import type { DescService } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import type { Secret } from "../config/secret.js";
import { rpcErrors } from "../domain/rpc-errors.js";

/**
 * Who may call a service's RPCs.
 * - `internal`: only other Kassa services and operators, with `authorization: Bearer
 *   <KASSA_INTERNAL_TOKEN>` (the admin token works too). Methods in `adminMethods` (proto
 *   names, e.g. `CreateMerchant`) take `KASSA_ADMIN_TOKEN` only.
 * - `public`: the service authenticates its callers itself (the gateway, with API keys).
 * grpc.health.v1 and reflection are always open, like `/health*` and `/metrics`.
 */
export type ServiceAccess =
  | { readonly kind: "internal"; readonly adminMethods?: readonly string[] }
  | { readonly kind: "public" };

/** The tokens an internal service checks. */
export interface ServiceTokens {
  readonly internal: Secret;
  readonly admin?: Secret | undefined;
}

/** Services any caller may use without a token. */
const openServices = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]);

/**
 * The server interceptor enforcing {@link ServiceAccess}. Tokens are compared in constant
 * time; errors say which token is needed and never echo what was sent.
 *
 * @throws Error at start-up when `adminMethods` names a method the service does not have.
 */
export function createAccessInterceptor(
  service: DescService,
  access: ServiceAccess,
  tokens: ServiceTokens,
): Interceptor {
  const adminMethods = new Set(access.kind === "internal" ? (access.adminMethods ?? []) : []);
  for (const name of adminMethods) {
    if (!service.methods.some((method) => method.name === name)) {
      throw new Error(`${service.typeName} has no method ${name} (listed in adminMethods)`);
    }
  }
  return (next) => async (request) => {
    if (access.kind === "public" || openServices.has(request.service.typeName)) {
      return next(request);
    }
    const presented = bearerToken(request.header.get("authorization"));
    if (adminMethods.has(request.method.name)) {
      if (!presented || !tokens.admin || !sameSecret(presented, tokens.admin)) {
        throw rpcErrors.unauthenticated(
          `${request.method.name} needs the admin token: authorization: Bearer <KASSA_ADMIN_TOKEN>`,
        );
      }
    } else if (
      !presented ||
      !(
        sameSecret(presented, tokens.internal) ||
        (tokens.admin && sameSecret(presented, tokens.admin))
      )
    ) {
      throw rpcErrors.unauthenticated(
        `${request.service.typeName} is internal: authorization: Bearer <KASSA_INTERNAL_TOKEN> is required`,
      );
    }
    return next(request);
  };
}

/** The client interceptor that presents a token on every call. */
export function presentBearerToken(token: Secret): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token.reveal()}`);
    return next(request);
  };
}

/** The token of an `authorization: Bearer <token>` header, if that is what it holds. */
export function bearerToken(header: string | null): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

// Hash both sides first: timingSafeEqual needs equal lengths, and hashing hides the length.
function sameSecret(presented: string, expected: Secret): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected.reveal()));
}
