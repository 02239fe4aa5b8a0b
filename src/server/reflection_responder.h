// Copyright idgen authors.
//
// ReflectionResponder: answers gRPC server reflection requests
// (grpc.reflection.v1alpha) from a protobuf DescriptorPool, one request at a
// time, with no I/O. The node's completion-queue service feeds it each
// ServerReflectionRequest of a ServerReflectionInfo stream and writes back the
// response it fills.
//
// What each request gets (valid_host and original_request are always set):
//   list_services                  the service names given at construction, in
//                                  that order (the request's content is ignored)
//   file_by_filename               the named file
//   file_containing_symbol         the file declaring the fully qualified
//                                  symbol: package.Service, package.Service.Method,
//                                  a message, enum, enum value, field, extension
//   file_containing_extension      the file declaring that extension
//   all_extension_numbers_of_type  the type's full name and its known extension
//                                  numbers, in ascending order
// A file answer holds the file and every file it imports, transitively, each a
// serialized FileDescriptorProto, each file once, the requested file first.
// Errors are an error_response, never a failed call:
//   NOT_FOUND (5)         unknown symbol, file, type or extension; the message
//                         names what was looked for
//   INVALID_ARGUMENT (3)  no message_request set
//
// Thread-safety: Answer() is const and may be called concurrently (DescriptorPool
// lookups are thread-safe).
// Lifetime: the pool must outlive the responder.
//
// Example:
//   const ReflectionResponder responder({"idgen.v1.IdGenerator", "grpc.health.v1.Health"});
//   ServerReflectionRequest req;
//   req.set_file_containing_symbol("idgen.v1.IdGenerator.NextIds");
//   ServerReflectionResponse resp;
//   responder.Answer(req, &resp);  // resp.file_descriptor_response(): idgen/v1/idgen.proto
#ifndef IDGEN_SERVER_REFLECTION_RESPONDER_H_
#define IDGEN_SERVER_REFLECTION_RESPONDER_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "grpc/reflection/v1alpha/reflection.pb.h"

namespace idgen::server {

class ReflectionResponder {
 public:
  // `service_names`: full names of the services the server serves, e.g.
  // "idgen.v1.IdGenerator". `pool`: where files and symbols are looked up.
  explicit ReflectionResponder(std::vector<std::string> service_names,
                               const google::protobuf::DescriptorPool* pool =
                                   google::protobuf::DescriptorPool::generated_pool());

  // Fills `resp` (cleared first) with the answer to `req`.
  void Answer(const ::grpc::reflection::v1alpha::ServerReflectionRequest& req,
              ::grpc::reflection::v1alpha::ServerReflectionResponse* resp) const;

 private:
  std::vector<std::string> service_names_;
  const google::protobuf::DescriptorPool* pool_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_REFLECTION_RESPONDER_H_
