import {
  create,
  createRegistry,
  type DescFile,
  type DescService,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import {
  ErrorResponseSchema,
  FileDescriptorResponseSchema,
  ListServiceResponseSchema,
  type ServerReflection,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "@kassa/contracts/grpc/reflection/v1/reflection_pb";

/**
 * gRPC server reflection (grpc.reflection.v1) for the services a server exposes, so
 * `grpcurl`, `buf curl` and Postman can list and call them without a copy of the protos.
 * Answers list_services, file_by_filename and file_containing_symbol with the file and its
 * transitive imports; Kassa defines no extensions, so extension queries answer NOT_FOUND.
 */
export function createGrpcReflectionService(
  services: readonly DescService[],
): ServiceImpl<typeof ServerReflection> {
  const files = new Map<string, DescFile>();
  const collect = (file: DescFile) => {
    if (files.has(file.name)) return;
    files.set(file.name, file);
    for (const dependency of file.dependencies) collect(dependency);
  };
  for (const service of services) collect(service.file);
  const registry = createRegistry(...files.values());

  /** The file first, then everything it imports, serialized. */
  const withImports = (file: DescFile): Uint8Array[] => {
    const ordered = new Map<string, DescFile>();
    const visit = (current: DescFile) => {
      if (ordered.has(current.name)) return;
      ordered.set(current.name, current);
      for (const dependency of current.dependencies) visit(dependency);
    };
    visit(file);
    return [...ordered.values()].map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
  };

  const fileDeclaring = (symbol: string): DescFile | undefined => {
    const type = registry.get(symbol);
    if (type) return type.file;
    // `<package>.<Service>.<Method>` lives in its service's file.
    return registry.getService(symbol.slice(0, symbol.lastIndexOf(".")))?.file;
  };

  const notFound = (what: string): ServerReflectionResponse["messageResponse"] => ({
    case: "errorResponse",
    value: create(ErrorResponseSchema, {
      errorCode: Code.NotFound,
      errorMessage: `${what} not found`,
    }),
  });
  const describe = (
    file: DescFile | undefined,
    what: string,
  ): ServerReflectionResponse["messageResponse"] =>
    file
      ? {
          case: "fileDescriptorResponse",
          value: create(FileDescriptorResponseSchema, { fileDescriptorProto: withImports(file) }),
        }
      : notFound(what);

  const answer = (
    request: ServerReflectionRequest,
  ): ServerReflectionResponse["messageResponse"] => {
    const asked = request.messageRequest;
    switch (asked.case) {
      case "listServices":
        return {
          case: "listServicesResponse",
          value: create(ListServiceResponseSchema, {
            service: services.map((service) => ({ name: service.typeName })),
          }),
        };
      case "fileByFilename":
        return describe(files.get(asked.value), `file ${asked.value}`);
      case "fileContainingSymbol":
        return describe(fileDeclaring(asked.value), `symbol ${asked.value}`);
      case "fileContainingExtension":
        return notFound(
          `extension ${asked.value.extensionNumber} of ${asked.value.containingType}`,
        );
      case "allExtensionNumbersOfType":
        return notFound(`extensions of ${asked.value}`);
      default:
        return notFound("request");
    }
  };

  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield create(ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answer(request),
        });
      }
    },
  };
}
