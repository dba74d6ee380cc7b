import type { DescMessage, JsonReadOptions, Message } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { rpcErrors } from "../domain/rpc-errors.js";
import { unstorableText } from "../domain/unstorable-text.js";

/**
 * The server interceptor that refuses a request holding text Kassa cannot store or that is
 * not text: NUL, other control characters (TAB, LF and CR only in free text), unpaired
 * surrogates, in any string field at any depth (see `unstorableText`). The answer is
 * INVALID_ARGUMENT naming the field (`customer.email: must not contain NUL characters
 * (U+0000)`), never echoing the value. The runtime runs it before any handler and before a
 * service's own interceptors, so a refused request has read and written nothing.
 */
export function createInputHygieneInterceptor(): Interceptor {
  return (next) => async (request) => {
    if (!request.stream) {
      refuseUnstorableText(request.method.input, request.message);
      return next(request);
    }
    return next({ ...request, message: checkedStream(request.method.input, request.message) });
  };
}

async function* checkedStream<T extends Message>(
  schema: DescMessage,
  messages: AsyncIterable<T>,
): AsyncIterable<T> {
  for await (const message of messages) {
    refuseUnstorableText(schema, message);
    yield message;
  }
}

function refuseUnstorableText(schema: DescMessage, message: Message): void {
  const violation = unstorableText(schema, message);
  if (violation) throw rpcErrors.invalidArgument(violation.field, violation.problem);
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Server JSON options that refuse a Connect JSON body that is not UTF-8 with INVALID_ARGUMENT,
 * where the default decoder would silently turn the bad bytes into U+FFFD and store a changed
 * value. (The binary format needs nothing: protobuf-es refuses invalid UTF-8 in a proto3
 * string field while decoding.) Connect's JSON serialization reads `textDecoder` from these
 * options; its server option type does not list it, hence the wider type here.
 */
export const strictJsonOptions: Partial<JsonReadOptions> & {
  textDecoder: { decode(input?: Uint8Array): string };
} = {
  textDecoder: {
    decode(input) {
      try {
        return fatalUtf8.decode(input);
      } catch {
        throw rpcErrors.invalidArgument("request", "must be UTF-8 encoded JSON");
      }
    },
  },
};
