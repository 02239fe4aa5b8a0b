// Copyright idgen authors.
#include "src/server/reflection_responder.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "idgen/v1/idgen.pb.h"

namespace idgen::server {
namespace {

namespace pb = ::google::protobuf;
using ::grpc::reflection::v1alpha::ServerReflectionRequest;
using ::grpc::reflection::v1alpha::ServerReflectionResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kNotFound = 5;
constexpr int kInvalidArgument = 3;

const std::vector<std::string> kServices = {"idgen.v1.IdGenerator", "grpc.health.v1.Health",
                                            "grpc.reflection.v1alpha.ServerReflection"};

ServerReflectionResponse Answer(const ReflectionResponder& responder,
                                const ServerReflectionRequest& req) {
  ServerReflectionResponse resp;
  responder.Answer(req, &resp);
  return resp;
}

ServerReflectionResponse AnswerSymbol(const ReflectionResponder& responder,
                                      const std::string& symbol) {
  ServerReflectionRequest req;
  req.set_file_containing_symbol(symbol);
  return Answer(responder, req);
}

// Every returned file parsed back; a file that does not parse fails the test.
std::vector<pb::FileDescriptorProto> Files(const ServerReflectionResponse& resp) {
  EXPECT_TRUE(resp.has_file_descriptor_response()) << resp.DebugString();
  std::vector<pb::FileDescriptorProto> files;
  for (const std::string& bytes : resp.file_descriptor_response().file_descriptor_proto()) {
    pb::FileDescriptorProto file;
    EXPECT_TRUE(file.ParseFromString(bytes));
    files.push_back(std::move(file));
  }
  return files;
}

std::vector<std::string> FileNames(const ServerReflectionResponse& resp) {
  std::vector<std::string> names;
  for (const auto& file : Files(resp)) names.push_back(file.name());
  return names;
}

// A small pool of its own: a.proto imports b.proto and c.proto, b.proto
// imports c.proto (reachable twice from a.proto); a and b extend t.Base.
class TestPool {
 public:
  TestPool() {
    Add(R"pb(name: "t/c.proto"
             package: "t"
             message_type {
               name: "Base"
               extension_range { start: 100 end: 200 }
             })pb");
    Add(R"pb(name: "t/b.proto"
             package: "t"
             dependency: "t/c.proto"
             message_type {
               name: "B"
               field { name: "base" number: 1 label: LABEL_OPTIONAL type_name: ".t.Base" }
             }
             extension {
               name: "b_ext"
               number: 150
               label: LABEL_OPTIONAL
               type: TYPE_INT32
               extendee: ".t.Base"
             })pb");
    Add(R"pb(name: "t/a.proto"
             package: "t"
             dependency: "t/b.proto"
             dependency: "t/c.proto"
             message_type {
               name: "A"
               field { name: "b" number: 1 label: LABEL_OPTIONAL type_name: ".t.B" }
             }
             enum_type {
               name: "Color"
               value { name: "RED" number: 0 }
             }
             extension {
               name: "a_ext"
               number: 101
               label: LABEL_OPTIONAL
               type: TYPE_STRING
               extendee: ".t.Base"
             }
             service {
               name: "S"
               method { name: "Do" input_type: ".t.A" output_type: ".t.B" }
             })pb");
  }
  const pb::DescriptorPool* pool() const { return &pool_; }

 private:
  void Add(const char* text) {
    pb::FileDescriptorProto file;
    ASSERT_TRUE(pb::TextFormat::ParseFromString(text, &file)) << text;
    ASSERT_NE(pool_.BuildFile(file), nullptr) << file.name();
  }
  pb::DescriptorPool pool_;
};

TEST(ReflectionResponderTest, ListsTheGivenServicesInOrder) {
  const ReflectionResponder responder(kServices);
  ServerReflectionRequest req;
  req.set_host("localhost:50051");
  req.set_list_services("*");
  const ServerReflectionResponse resp = Answer(responder, req);
  ASSERT_TRUE(resp.has_list_services_response()) << resp.DebugString();
  std::vector<std::string> names;
  for (const auto& s : resp.list_services_response().service()) names.push_back(s.name());
  EXPECT_EQ(names, kServices);
  EXPECT_EQ(resp.valid_host(), "localhost:50051");
  EXPECT_EQ(resp.original_request().list_services(), "*");
  EXPECT_EQ(resp.original_request().host(), "localhost:50051");
}

TEST(ReflectionResponderTest, IdgenFileIsRegisteredUnderItsImportPath) {
  // The name clients ask for with file_by_filename.
  EXPECT_EQ(v1::NextIdsRequest::descriptor()->file()->name(), "idgen/v1/idgen.proto");
}

TEST(ReflectionResponderTest, FindsTheFileOfAServiceMethodMessageAndField) {
  const ReflectionResponder responder(kServices);
  for (const char* symbol : {"idgen.v1.IdGenerator", "idgen.v1.IdGenerator.NextIds",
                             "idgen.v1.NextIdsRequest", "idgen.v1.NextIdsRequest.count"}) {
    SCOPED_TRACE(symbol);
    const ServerReflectionResponse resp = AnswerSymbol(responder, symbol);
    ASSERT_TRUE(resp.has_file_descriptor_response()) << resp.DebugString();
    const auto files = Files(resp);
    ASSERT_FALSE(files.empty());
    EXPECT_EQ(files[0].name(), "idgen/v1/idgen.proto");
    EXPECT_EQ(files[0].package(), "idgen.v1");
    ASSERT_GE(files[0].service_size(), 1);
    EXPECT_EQ(files[0].service(0).name(), "IdGenerator");
    EXPECT_EQ(resp.original_request().file_containing_symbol(), symbol);
  }
}

TEST(ReflectionResponderTest, FindsTheFileByName) {
  const ReflectionResponder responder(kServices);
  ServerReflectionRequest req;
  req.set_file_by_filename("idgen/v1/idgen.proto");
  const auto files = Files(Answer(responder, req));
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files[0].name(), "idgen/v1/idgen.proto");
  // Exactly what the pool holds.
  pb::FileDescriptorProto expected;
  v1::NextIdsRequest::descriptor()->file()->CopyTo(&expected);
  EXPECT_EQ(files[0].SerializeAsString(), expected.SerializeAsString());
}

TEST(ReflectionResponderTest, FindsItsOwnProtocol) {
  const ReflectionResponder responder(kServices);
  EXPECT_THAT(FileNames(AnswerSymbol(responder, "grpc.reflection.v1alpha.ServerReflection")),
              ElementsAre("grpc/reflection/v1alpha/reflection.proto"));
}

TEST(ReflectionResponderTest, SendsTransitiveDependenciesOnceRequestedFileFirst) {
  const TestPool pool;
  const ReflectionResponder responder(kServices, pool.pool());
  ServerReflectionRequest req;
  req.set_file_by_filename("t/a.proto");
  EXPECT_THAT(FileNames(Answer(responder, req)),
              ElementsAre("t/a.proto", "t/b.proto", "t/c.proto"));
  req.set_file_by_filename("t/b.proto");
  EXPECT_THAT(FileNames(Answer(responder, req)), ElementsAre("t/b.proto", "t/c.proto"));
  EXPECT_THAT(FileNames(AnswerSymbol(responder, "t.Base")), ElementsAre("t/c.proto"));
}

TEST(ReflectionResponderTest, FindsEnumsEnumValuesExtensionsAndMethodsInAnyPool) {
  const TestPool pool;
  const ReflectionResponder responder(kServices, pool.pool());
  for (const char* symbol : {"t.Color", "t.RED", "t.a_ext", "t.S", "t.S.Do", "t.A.b"}) {
    SCOPED_TRACE(symbol);
    const auto names = FileNames(AnswerSymbol(responder, symbol));
    ASSERT_FALSE(names.empty());
    EXPECT_EQ(names[0], "t/a.proto");
  }
}

TEST(ReflectionResponderTest, FindsTheFileDeclaringAnExtension) {
  const TestPool pool;
  const ReflectionResponder responder(kServices, pool.pool());
  ServerReflectionRequest req;
  req.mutable_file_containing_extension()->set_containing_type("t.Base");
  req.mutable_file_containing_extension()->set_extension_number(150);
  EXPECT_THAT(FileNames(Answer(responder, req)), ElementsAre("t/b.proto", "t/c.proto"));
  req.mutable_file_containing_extension()->set_extension_number(101);
  EXPECT_THAT(FileNames(Answer(responder, req)),
              ElementsAre("t/a.proto", "t/b.proto", "t/c.proto"));
}

TEST(ReflectionResponderTest, ListsAllExtensionNumbersOfAType) {
  const TestPool pool;
  const ReflectionResponder responder(kServices, pool.pool());
  ServerReflectionRequest req;
  req.set_all_extension_numbers_of_type("t.Base");
  const ServerReflectionResponse resp = Answer(responder, req);
  ASSERT_TRUE(resp.has_all_extension_numbers_response()) << resp.DebugString();
  EXPECT_EQ(resp.all_extension_numbers_response().base_type_name(), "t.Base");
  EXPECT_THAT(resp.all_extension_numbers_response().extension_number(), ElementsAre(101, 150));

  req.set_all_extension_numbers_of_type("t.A");
  const ServerReflectionResponse none = Answer(responder, req);
  ASSERT_TRUE(none.has_all_extension_numbers_response()) << none.DebugString();
  EXPECT_EQ(none.all_extension_numbers_response().base_type_name(), "t.A");
  EXPECT_EQ(none.all_extension_numbers_response().extension_number_size(), 0);
}

void ExpectNotFound(const ServerReflectionResponse& resp, const std::string& named) {
  ASSERT_TRUE(resp.has_error_response()) << resp.DebugString();
  EXPECT_EQ(resp.error_response().error_code(), kNotFound);
  EXPECT_THAT(resp.error_response().error_message(), HasSubstr("not found"));
  EXPECT_THAT(resp.error_response().error_message(), HasSubstr(named));
}

TEST(ReflectionResponderTest, UnknownNamesAreNotFoundErrorsNamingThem) {
  const TestPool pool;
  const ReflectionResponder responder(kServices, pool.pool());
  ExpectNotFound(AnswerSymbol(responder, "t.NoSuchThing"), "t.NoSuchThing");

  ServerReflectionRequest req;
  req.set_host("h");
  req.set_file_by_filename("t/nope.proto");
  const ServerReflectionResponse no_file = Answer(responder, req);
  ExpectNotFound(no_file, "t/nope.proto");
  EXPECT_EQ(no_file.valid_host(), "h");
  EXPECT_EQ(no_file.original_request().file_by_filename(), "t/nope.proto");

  req.set_all_extension_numbers_of_type("t.NoSuchType");
  ExpectNotFound(Answer(responder, req), "t.NoSuchType");

  req.mutable_file_containing_extension()->set_containing_type("t.Base");
  req.mutable_file_containing_extension()->set_extension_number(199);
  ExpectNotFound(Answer(responder, req), "199");
  req.mutable_file_containing_extension()->set_containing_type("t.NoSuchType");
  req.mutable_file_containing_extension()->set_extension_number(150);
  ExpectNotFound(Answer(responder, req), "t.NoSuchType");
}

TEST(ReflectionResponderTest, UnknownSymbolInTheGeneratedPoolIsNotFound) {
  const ReflectionResponder responder(kServices);
  ExpectNotFound(AnswerSymbol(responder, "idgen.v1.NoSuchService"), "idgen.v1.NoSuchService");
}

TEST(ReflectionResponderTest, EmptyRequestIsInvalidArgument) {
  const ReflectionResponder responder(kServices);
  ServerReflectionRequest req;
  req.set_host("h");
  const ServerReflectionResponse resp = Answer(responder, req);
  ASSERT_TRUE(resp.has_error_response()) << resp.DebugString();
  EXPECT_EQ(resp.error_response().error_code(), kInvalidArgument);
  EXPECT_EQ(resp.original_request().host(), "h");
}

TEST(ReflectionResponderTest, ClearsAPreviousAnswer) {
  const ReflectionResponder responder(kServices);
  ServerReflectionResponse resp;
  ServerReflectionRequest req;
  req.set_file_by_filename("idgen/v1/idgen.proto");
  responder.Answer(req, &resp);
  req.set_list_services("");
  responder.Answer(req, &resp);
  EXPECT_FALSE(resp.has_file_descriptor_response());
  EXPECT_EQ(resp.list_services_response().service_size(), 3);
}

}  // namespace
}  // namespace idgen::server
