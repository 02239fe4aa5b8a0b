// Copyright idgen authors.
#include "src/server/reflection_responder.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/support/status_code_enum.h"

namespace idgen::server {
namespace {

namespace pb = ::google::protobuf;
using ::grpc::reflection::v1alpha::ServerReflectionRequest;
using ::grpc::reflection::v1alpha::ServerReflectionResponse;

void SetError(::grpc::StatusCode code, std::string message, ServerReflectionResponse* resp) {
  auto* error = resp->mutable_error_response();
  error->set_error_code(static_cast<int32_t>(code));
  error->set_error_message(std::move(message));
}

// `file` first, then its imports breadth-first; a file imported along two
// paths is sent once (clients merge the files by name).
void AddFileWithDependencies(const pb::FileDescriptor* file, ServerReflectionResponse* resp) {
  auto* out = resp->mutable_file_descriptor_response();
  std::unordered_set<std::string_view> seen = {file->name()};
  std::deque<const pb::FileDescriptor*> queue = {file};
  while (!queue.empty()) {
    const pb::FileDescriptor* f = queue.front();
    queue.pop_front();
    pb::FileDescriptorProto proto;
    f->CopyTo(&proto);
    proto.SerializeToString(out->add_file_descriptor_proto());
    for (int i = 0; i < f->dependency_count(); ++i) {
      const pb::FileDescriptor* dep = f->dependency(i);
      if (seen.insert(dep->name()).second) queue.push_back(dep);
    }
  }
}

}  // namespace

ReflectionResponder::ReflectionResponder(std::vector<std::string> service_names,
                                         const pb::DescriptorPool* pool)
    : service_names_(std::move(service_names)), pool_(pool) {}

void ReflectionResponder::Answer(const ServerReflectionRequest& req,
                                 ServerReflectionResponse* resp) const {
  resp->Clear();
  resp->set_valid_host(req.host());
  *resp->mutable_original_request() = req;

  switch (req.message_request_case()) {
    case ServerReflectionRequest::kListServices: {
      auto* list = resp->mutable_list_services_response();
      for (const std::string& name : service_names_) list->add_service()->set_name(name);
      return;
    }
    case ServerReflectionRequest::kFileByFilename: {
      const pb::FileDescriptor* file = pool_->FindFileByName(req.file_by_filename());
      if (file == nullptr) {
        SetError(::grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("file not found: ", req.file_by_filename()), resp);
        return;
      }
      AddFileWithDependencies(file, resp);
      return;
    }
    case ServerReflectionRequest::kFileContainingSymbol: {
      const pb::FileDescriptor* file =
          pool_->FindFileContainingSymbol(req.file_containing_symbol());
      if (file == nullptr) {
        SetError(::grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("symbol not found: ", req.file_containing_symbol()), resp);
        return;
      }
      AddFileWithDependencies(file, resp);
      return;
    }
    case ServerReflectionRequest::kFileContainingExtension: {
      const auto& ext = req.file_containing_extension();
      const pb::Descriptor* type = pool_->FindMessageTypeByName(ext.containing_type());
      const pb::FieldDescriptor* field =
          type == nullptr ? nullptr : pool_->FindExtensionByNumber(type, ext.extension_number());
      if (field == nullptr) {
        SetError(::grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("extension not found: ", ext.containing_type(), " number ",
                              ext.extension_number()),
                 resp);
        return;
      }
      AddFileWithDependencies(field->file(), resp);
      return;
    }
    case ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const pb::Descriptor* type =
          pool_->FindMessageTypeByName(req.all_extension_numbers_of_type());
      if (type == nullptr) {
        SetError(::grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("type not found: ", req.all_extension_numbers_of_type()), resp);
        return;
      }
      std::vector<const pb::FieldDescriptor*> extensions;
      pool_->FindAllExtensions(type, &extensions);
      std::vector<int32_t> numbers;
      numbers.reserve(extensions.size());
      for (const pb::FieldDescriptor* f : extensions) numbers.push_back(f->number());
      std::sort(numbers.begin(), numbers.end());
      auto* out = resp->mutable_all_extension_numbers_response();
      out->set_base_type_name(type->full_name());
      out->mutable_extension_number()->Add(numbers.begin(), numbers.end());
      return;
    }
    case ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      break;
  }
  SetError(::grpc::StatusCode::INVALID_ARGUMENT, "empty reflection request: no message_request set",
           resp);
}

}  // namespace idgen::server
