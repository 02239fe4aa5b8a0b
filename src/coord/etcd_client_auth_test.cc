// Copyright idgen authors.
//
// EtcdClient's authentication against a fake etcd in the test process (KV
// Range and Auth Authenticate only): the token is sent as "token" metadata,
// a call rejected with "invalid auth token" authenticates again and is
// repeated once, and no more than once.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "idgen/internal/mutex.h"
#include "src/coord/etcd_client.h"

namespace idgen::coord {
namespace {

namespace pb = ::etcdserverpb;

// Hands out tokens "t1", "t2", ...; accepts only the newest one, and none at
// all when `reject_all`.
class FakeEtcd final : public pb::KV::Service, public pb::Auth::Service {
 public:
  grpc::Status Authenticate(grpc::ServerContext* /*ctx*/, const pb::AuthenticateRequest* req,
                            pb::AuthenticateResponse* resp) override {
    MutexLock lock(&mu_);
    if (req->name() != "idgen" || req->password() != "pw") {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              "etcdserver: authentication failed, invalid user ID or password"};
    }
    current_ = absl::StrCat("t", ++authentications_);
    resp->set_token(current_);
    return grpc::Status::OK;
  }

  grpc::Status Range(grpc::ServerContext* ctx, const pb::RangeRequest* /*req*/,
                     pb::RangeResponse* /*resp*/) override {
    MutexLock lock(&mu_);
    auto it = ctx->client_metadata().find("token");
    const std::string token =
        it == ctx->client_metadata().end() ? "" : std::string(it->second.data(), it->second.size());
    seen_.push_back(token);
    if (reject_all_ || token != current_) {
      return {grpc::StatusCode::UNAUTHENTICATED, "etcdserver: invalid auth token"};
    }
    return grpc::Status::OK;
  }

  // The token of the next Authenticate; the current one is no longer valid.
  void Expire() {
    MutexLock lock(&mu_);
    current_ = "expired";
  }
  void RejectAll() {
    MutexLock lock(&mu_);
    reject_all_ = true;
  }
  std::vector<std::string> seen() {
    MutexLock lock(&mu_);
    return seen_;
  }

 private:
  Mutex mu_;
  int authentications_ ABSL_GUARDED_BY(mu_) = 0;
  std::string current_ ABSL_GUARDED_BY(mu_);
  bool reject_all_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

class EtcdClientAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(static_cast<pb::KV::Service*>(&etcd_));
    builder.RegisterService(static_cast<pb::Auth::Service*>(&etcd_));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    endpoint_ = absl::StrCat("http://127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  absl::StatusOr<std::unique_ptr<EtcdClient>> Connect(const std::string& password) {
    EtcdClient::Options options;
    options.user = "idgen";
    options.password = password;
    return EtcdClient::Create({endpoint_}, std::move(options));
  }

  FakeEtcd etcd_;
  std::unique_ptr<grpc::Server> server_;
  std::string endpoint_;
};

TEST_F(EtcdClientAuthTest, AuthenticatesAtCreateAndSendsTheToken) {
  auto client = Connect("pw");
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->authentications(), 1);
  ASSERT_TRUE((*client)->Get("k").ok());
  ASSERT_TRUE((*client)->Get("k").ok());
  EXPECT_EQ(etcd_.seen(), (std::vector<std::string>{"t1", "t1"}));
  EXPECT_EQ((*client)->authentications(), 1);
}

TEST_F(EtcdClientAuthTest, ExpiredTokenIsRenewedAndTheCallRepeatedOnce) {
  auto client = Connect("pw");
  ASSERT_TRUE(client.ok()) << client.status();
  etcd_.Expire();
  ASSERT_TRUE((*client)->Get("k").ok());
  EXPECT_EQ(etcd_.seen(), (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ((*client)->authentications(), 2);
}

TEST_F(EtcdClientAuthTest, ATokenRejectedAgainIsAnErrorNotALoop) {
  auto client = Connect("pw");
  ASSERT_TRUE(client.ok()) << client.status();
  etcd_.RejectAll();
  const absl::Status s = (*client)->Get("k").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_EQ(etcd_.seen().size(), 2u);  // the call, and its one repetition
  EXPECT_EQ(s.message().find("t2"), std::string_view::npos) << "token in the message: " << s;
}

TEST_F(EtcdClientAuthTest, WrongPasswordFailsCreateNamingTheUserNotThePassword) {
  auto client = Connect("not-the-pw");
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(client.status().message().find("etcd refused user \"idgen\""), std::string_view::npos)
      << client.status();
  EXPECT_EQ(client.status().message().find("not-the-pw"), std::string_view::npos);
}

}  // namespace
}  // namespace idgen::coord
