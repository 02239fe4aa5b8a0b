// Copyright idgen authors.
//
// The Supervisor with real child processes (/bin/sh), short timings.
#include "src/apphost/supervisor.h"

#include <csignal>
#include <functional>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "idgen/clock.h"

namespace idgen::apphost {
namespace {

using ::testing::HasSubstr;

SupervisorOptions Fast() {
  SupervisorOptions o;
  o.tick = absl::Milliseconds(10);
  o.health_interval = absl::Milliseconds(50);
  o.probe_timeout = absl::Milliseconds(100);
  o.restart_min = absl::Milliseconds(50);
  o.restart_max = absl::Milliseconds(200);
  o.stop_grace = absl::Seconds(2);
  return o;
}

ResourceSpec Shell(const std::string& name, const std::string& script,
                   std::vector<std::string> deps = {}) {
  ResourceSpec r;
  r.name = name;
  r.kind = "test";
  r.argv = {"/bin/sh", "-c", script};
  r.depends_on = std::move(deps);
  return r;
}

ResourceView View(const Supervisor& s, const std::string& name) {
  for (const ResourceView& v : s.Snapshot()) {
    if (v.spec.name == name) return v;
  }
  return {};
}

bool Eventually(const std::function<bool()>& f, absl::Duration limit = absl::Seconds(10)) {
  const absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    if (f()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return f();
}

bool Alive(int pid) { return pid > 0 && ::kill(pid, 0) == 0; }

TEST(SupervisorTest, RejectsBadGraphs) {
  EXPECT_THAT(
      std::string(
          Supervisor::Create({Shell("a", "true", {"b"})}, Fast(), nullptr).status().message()),
      HasSubstr("depends on unknown resource b"));
  EXPECT_THAT(std::string(Supervisor::Create({Shell("a", "true", {"b"}), Shell("b", "true", {"a"})},
                                             Fast(), nullptr)
                              .status()
                              .message()),
              HasSubstr("dependency cycle among: a, b"));
  EXPECT_THAT(
      std::string(Supervisor::Create({Shell("a", "true"), Shell("a", "true")}, Fast(), nullptr)
                      .status()
                      .message()),
      HasSubstr("duplicate resource name a"));
}

TEST(SupervisorTest, StartsInDependencyOrderAndCapturesBothStreams) {
  auto sup = Supervisor::Create({Shell("app", "echo app-up; sleep 30", {"db"}),
                                 Shell("db", "echo db-out; echo db-err >&2; sleep 30")},
                                Fast(), nullptr);
  ASSERT_TRUE(sup.ok()) << sup.status();
  EXPECT_EQ((*sup)->order(), (std::vector<std::string>{"db", "app"}));
  (*sup)->Start();
  ASSERT_TRUE((*sup)->WaitAllHealthy(absl::Seconds(10)).ok());
  EXPECT_LT(View(**sup, "db").started_at_ms, View(**sup, "app").started_at_ms + 1);
  ASSERT_TRUE(Eventually([&] { return (*sup)->Logs("db")->last_seq() >= 3; }));
  std::string out;
  std::string err;
  for (const LogLine& l : (*sup)->Logs("db")->Since(0)) {
    if (l.stream == "stdout") out += l.text;
    if (l.stream == "stderr") err += l.text;
  }
  EXPECT_EQ(out, "db-out");
  EXPECT_EQ(err, "db-err");
  const int db = View(**sup, "db").pid;
  const int app = View(**sup, "app").pid;
  (*sup)->StopAll();
  EXPECT_FALSE(Alive(db));
  EXPECT_FALSE(Alive(app));
  EXPECT_EQ(View(**sup, "db").state, "stopped");
}

TEST(SupervisorTest, CrashedResourceIsRestartedWithBackoffAndCounted) {
  auto sup = Supervisor::Create({Shell("flaky", "exit 3")}, Fast(), nullptr);
  ASSERT_TRUE(sup.ok());
  (*sup)->Start();
  ASSERT_TRUE(Eventually([&] { return View(**sup, "flaky").restarts >= 3; }));
  EXPECT_EQ(View(**sup, "flaky").last_exit, "exit code 3");
  (*sup)->StopAll();
}

TEST(SupervisorTest, KilledFromOutsideComesBack) {
  auto sup = Supervisor::Create({Shell("svc", "sleep 30")}, Fast(), nullptr);
  ASSERT_TRUE(sup.ok());
  (*sup)->Start();
  ASSERT_TRUE((*sup)->WaitAllHealthy(absl::Seconds(5)).ok());
  const int first = View(**sup, "svc").pid;
  ::kill(first, SIGKILL);
  ASSERT_TRUE(Eventually([&] {
    ResourceView v = View(**sup, "svc");
    return v.state == "healthy" && v.pid != first && v.pid != 0;
  }));
  EXPECT_EQ(View(**sup, "svc").restarts, 1);
  EXPECT_THAT(View(**sup, "svc").last_exit, HasSubstr("signal 9"));
  (*sup)->StopAll();
}

TEST(SupervisorTest, StopStartRestartCommands) {
  auto sup = Supervisor::Create({Shell("svc", "sleep 30")}, Fast(), nullptr);
  ASSERT_TRUE(sup.ok());
  (*sup)->Start();
  ASSERT_TRUE((*sup)->WaitAllHealthy(absl::Seconds(5)).ok());
  const int first = View(**sup, "svc").pid;
  ASSERT_TRUE((*sup)->StopResource("svc").ok());
  ASSERT_TRUE(Eventually([&] { return View(**sup, "svc").state == "stopped"; }));
  EXPECT_FALSE(Alive(first));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(View(**sup, "svc").state, "stopped");  // not restarted: it was asked to stop
  ASSERT_TRUE((*sup)->StartResource("svc").ok());
  ASSERT_TRUE(Eventually([&] { return View(**sup, "svc").state == "healthy"; }));
  const int second = View(**sup, "svc").pid;
  ASSERT_TRUE((*sup)->RestartResource("svc").ok());
  ASSERT_TRUE(Eventually([&] {
    ResourceView v = View(**sup, "svc");
    return v.state == "healthy" && v.pid != second;
  }));
  EXPECT_EQ(View(**sup, "svc").manual_restarts, 1);
  EXPECT_EQ(View(**sup, "svc").restarts, 0);
  EXPECT_EQ((*sup)->StopResource("nope").code(), absl::StatusCode::kNotFound);
  (*sup)->StopAll();
}

TEST(SupervisorTest, MissingProgramFailsWithTheReason) {
  ResourceSpec r;
  r.name = "ghost";
  r.argv = {"/nonexistent/program"};
  auto sup = Supervisor::Create({r}, Fast(), nullptr);
  ASSERT_TRUE(sup.ok());
  (*sup)->Start();
  absl::Status s = (*sup)->WaitAllHealthy(absl::Seconds(5));
  EXPECT_THAT(std::string(s.message()), HasSubstr("ghost is failed"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("No such file or directory"));
  (*sup)->StopAll();
}

TEST(SupervisorTest, UnhealthyResourceTimesOutNamingItWithItsLog) {
  ResourceSpec r = Shell("web", "echo listening-soon; sleep 30");
  r.health_url = "http://127.0.0.1:1/health";  // nothing listens there
  auto sup = Supervisor::Create({r, Shell("after", "sleep 30", {"web"})}, Fast(), nullptr);
  ASSERT_TRUE(sup.ok());
  (*sup)->Start();
  absl::Status s = (*sup)->WaitAllHealthy(absl::Milliseconds(500));
  EXPECT_THAT(std::string(s.message()), HasSubstr("resource web is starting"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("listening-soon"));
  EXPECT_EQ(View(**sup, "after").state, "waiting");
  EXPECT_EQ(View(**sup, "after").pid, 0);
  (*sup)->StopAll();
}

TEST(SupervisorTest, WaitAllHealthyRunsOutOnTheInjectedClock) {
  FakeClock clock(absl::FromUnixMillis(1'700'000'000'000));
  SupervisorOptions o = Fast();
  o.clock = &clock;
  auto sup = Supervisor::Create({Shell("svc", "sleep 30")}, o, nullptr);
  ASSERT_TRUE(sup.ok()) << sup.status();
  // Never started, so never healthy: the wait runs out after 30 s of the fake
  // clock, which its SleepFor advances without blocking.
  const absl::Status s = (*sup)->WaitAllHealthy(absl::Seconds(30));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("resource svc is waiting after 30s"));
  EXPECT_GE(clock.TotalSlept(), absl::Seconds(30));
  EXPECT_LT(clock.TotalSlept(), absl::Seconds(31));
}

}  // namespace
}  // namespace idgen::apphost
