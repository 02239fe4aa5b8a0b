// Copyright idgen authors.
#include "src/apphost/dashboard_access.h"

#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace idgen::apphost {
namespace {

http::Request WithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  http::Request req;
  req.method = "GET";
  req.path = "/api/resources";
  req.headers = std::move(headers);
  return req;
}

std::unique_ptr<DashboardAccess> Make(DashboardAccessOptions options) {
  auto access = DashboardAccess::Create(std::move(options));
  EXPECT_TRUE(access.ok()) << access.status();
  if (!access.ok()) return nullptr;
  (*access)->SetPort(18888);
  return *std::move(access);
}

TEST(DashboardAccessTest, RandomTokenIs32HexDigitsAndDiffersPerRun) {
  auto a = Make({});
  auto b = Make({});
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->token().size(), 32u);
  EXPECT_EQ(a->token().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a->token(), b->token());
  EXPECT_TRUE(a->TokenMatches(a->token()));
  EXPECT_FALSE(a->TokenMatches(b->token()));
  EXPECT_FALSE(a->TokenMatches(""));
}

TEST(DashboardAccessTest, BadTokenOrHostNamesTheFlag) {
  auto short_token = DashboardAccess::Create({.token = "short"});
  ASSERT_FALSE(short_token.ok());
  EXPECT_NE(short_token.status().message().find("--dashboard-token"), std::string::npos);
  auto spaced = DashboardAccess::Create({.token = "sixteen chars or more"});
  EXPECT_FALSE(spaced.ok());
  auto host = DashboardAccess::Create({.hosts = {"evil.example:80"}});
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.status().message().find("--dashboard-host"), std::string::npos);
}

TEST(DashboardAccessTest, HostMustBeLoopbackOrConfiguredWithThePort) {
  auto access = Make({.hosts = {"Dev.Box"}});
  ASSERT_NE(access, nullptr);
  for (const char* ok :
       {"127.0.0.1:18888", "localhost:18888", "LOCALHOST:18888", "[::1]:18888", "dev.box:18888"}) {
    EXPECT_EQ(access->CheckSite(WithHeaders({{"Host", ok}})), "") << ok;
  }
  for (const char* bad : {"evil.example:18888", "127.0.0.1:1", "127.0.0.1", "127.0.0.1:x", "",
                          "[::1]", "127.0.0.1.evil.example:18888"}) {
    EXPECT_NE(access->CheckSite(WithHeaders({{"Host", bad}})), "") << bad;
  }
  EXPECT_NE(access->CheckSite(WithHeaders({})), "");
}

TEST(DashboardAccessTest, OriginWhenPresentMustBeTheDashboard) {
  auto access = Make({});
  ASSERT_NE(access, nullptr);
  const std::string host = "127.0.0.1:18888";
  EXPECT_EQ(access->CheckSite(WithHeaders({{"Host", host}, {"Origin", "http://127.0.0.1:18888"}})),
            "");
  EXPECT_EQ(access->CheckSite(WithHeaders({{"Host", host}, {"Origin", "http://localhost:18888"}})),
            "");
  for (const char* bad : {"http://evil.example", "null", "http://127.0.0.1:18889", "file://",
                          "http://127.0.0.1:18888.evil.example"}) {
    EXPECT_NE(access->CheckSite(WithHeaders({{"Host", host}, {"Origin", bad}})), "") << bad;
  }
}

TEST(DashboardAccessTest, WithoutHostCheckOnlyAPresentOriginCounts) {
  auto access = Make({});
  ASSERT_NE(access, nullptr);
  EXPECT_EQ(access->CheckSite(WithHeaders({{"Host", "0.0.0.0:18888"}}), /*check_host=*/false), "");
  EXPECT_NE(
      access->CheckSite(WithHeaders({{"Host", "0.0.0.0:18888"}, {"Origin", "http://evil.example"}}),
                        /*check_host=*/false),
      "");
}

TEST(DashboardAccessTest, SessionCookieIsRandomAndNotTheToken) {
  auto access = Make({});
  ASSERT_NE(access, nullptr);
  EXPECT_FALSE(access->HasSession(WithHeaders({})));
  absl::StatusOr<std::string> set = access->NewSession();
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->find(access->token()), std::string::npos);
  EXPECT_EQ(set->rfind("idgen_dashboard_18888=", 0), 0u);
  EXPECT_NE(set->find("; HttpOnly; SameSite=Strict"), std::string::npos);
  const std::string pair = set->substr(0, set->find(';'));
  EXPECT_TRUE(access->HasSession(WithHeaders({{"Cookie", "a=b; " + pair + "; c=d"}})));
  EXPECT_FALSE(
      access->HasSession(WithHeaders({{"Cookie", "idgen_dashboard_18888=" + access->token()}})));
  EXPECT_FALSE(access->HasSession(
      WithHeaders({{"Cookie", "idgen_dashboard_1=" + pair.substr(pair.find('=') + 1)}})));
}

TEST(DashboardAccessTest, OldestSessionsEndBeyondTheCap) {
  auto access = Make({});
  ASSERT_NE(access, nullptr);
  absl::StatusOr<std::string> first = access->NewSession();
  ASSERT_TRUE(first.ok());
  const std::string pair = first->substr(0, first->find(';'));
  for (size_t i = 0; i < DashboardAccess::kMaxSessions; ++i) ASSERT_TRUE(access->NewSession().ok());
  EXPECT_FALSE(access->HasSession(WithHeaders({{"Cookie", pair}})));
}

TEST(DashboardAccessTest, OpenAllowsEverything) {
  auto access = Make({.open = true});
  ASSERT_NE(access, nullptr);
  EXPECT_EQ(access->CheckSite(WithHeaders({{"Host", "evil.example"}, {"Origin", "null"}})), "");
  EXPECT_TRUE(access->HasSession(WithHeaders({})));
}

}  // namespace
}  // namespace idgen::apphost
