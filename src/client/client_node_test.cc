// Copyright idgen authors.
//
// The client library against real nodes: `idgen serve` processes from this
// build on free loopback ports, started and stopped by pid. Every method,
// round robin over three nodes, a node killed under load (no failed call,
// no duplicate), a stopped node (DEADLINE_EXCEEDED), mutual TLS, and the
// pool under 16 threads.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "idgen/client/client.h"

extern char** environ;

namespace idgen::client {
namespace {

using namespace std::chrono_literals;

std::string MakeTempDir() {
  std::string path = "/tmp/idgen-client-test-XXXXXX";
  if (mkdtemp(path.data()) == nullptr) std::abort();
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One `idgen serve` child: stderr in a file, its gRPC port read from the
// start-up line, SIGKILLed at the end if still there.
class Node {
 public:
  Node(const std::string& state_dir, std::vector<std::string> extra) {
    log_ = state_dir + "/node-" + std::to_string(counter_++) + ".log";
    std::vector<std::string> args = {IDGEN_BINARY, "serve",          "--state-dir",
                                     state_dir,    "--admin-listen", "127.0.0.1:0"};
    // A loopback port of its own unless `extra` names the listener.
    if (std::find(extra.begin(), extra.end(), "--listen") == extra.end()) {
      args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    const std::regex port_re("\"grpc\\.port\":(\\d+)");
    for (int i = 0; i < 200 && pid_ > 0 && port_ == 0; ++i) {
      std::smatch m;
      const std::string text = ReadFile(log_);
      if (std::regex_search(text, m, port_re)) port_ = std::stoi(m[1]);
      if (port_ == 0) std::this_thread::sleep_for(50ms);
    }
  }
  ~Node() { Kill(SIGKILL); }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return ReadFile(log_); }
  void Signal(int sig) const {
    if (pid_ > 0) kill(pid_, sig);
  }
  // SIGSTOP, then waits (bounded) until the kernel shows the process
  // stopped: a thread already running could otherwise still answer.
  void Stop() const {
    Signal(SIGSTOP);
    for (int i = 0; i < 200; ++i) {
      const std::string stat = ReadFile("/proc/" + std::to_string(pid_) + "/stat");
      const size_t paren = stat.rfind(')');
      if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'T') return;
      std::this_thread::sleep_for(5ms);
    }
  }
  void Kill(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  static inline int counter_ = 0;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

TEST(ClientOptionsTest, AreCheckedAndTheBadFieldNamed) {
  auto bad = [](void (*edit)(ClientOptions&)) {
    ClientOptions o;
    edit(o);
    return std::string(Client::Create(o).status().message());
  };
  EXPECT_NE(bad([](ClientOptions& o) { o.target.clear(); }).find("target"), std::string::npos);
  EXPECT_NE(bad([](ClientOptions& o) { o.load_balancing = "random"; }).find("load_balancing"),
            std::string::npos);
  EXPECT_NE(
      bad([](ClientOptions& o) { o.deadline = std::chrono::milliseconds(0); }).find("deadline"),
      std::string::npos);
  EXPECT_NE(bad([](ClientOptions& o) { o.max_attempts = 6; }).find("max_attempts"),
            std::string::npos);
  EXPECT_NE(bad([](ClientOptions& o) { o.channels = 0; }).find("channels"), std::string::npos);
  EXPECT_NE(bad([](ClientOptions& o) { o.completion_threads = 65; }).find("completion_threads"),
            std::string::npos);
  EXPECT_NE(bad([](ClientOptions& o) {
              o.keepalive_time = std::chrono::seconds(1);
            }).find("keepalive_time"),
            std::string::npos);
  EXPECT_NE(
      bad([](ClientOptions& o) { o.tls.ca_file = "/nonexistent/ca.pem"; }).find("tls.ca_file"),
      std::string::npos);
  EXPECT_NE(bad([](ClientOptions& o) { o.tls.cert_file = "x.pem"; }).find("tls.ca_file"),
            std::string::npos);
  EXPECT_TRUE(Client::Create(ClientOptions{}).ok());
  EXPECT_EQ(StatusCodeName(static_cast<StatusCode>(42)), "CODE(42)");
}

class ClientNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    config_ = dir_ + "/namespaces.json";
    std::ofstream(config_) << R"({"namespaces": [{"name": "default"}, {"name": "orders"},
                                               {"name": "events", "scheme": "uuidv7"}]})";
  }
  void TearDown() override {
    nodes_.clear();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Node& StartNode(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--config", config_});
    nodes_.push_back(std::make_unique<Node>(dir_, extra));
    Node& n = *nodes_.back();
    EXPECT_GT(n.port(), 0) << n.log();
    return n;
  }
  Client MakeClient(const ClientOptions& o) {
    StatusOr<Client> c = Client::Create(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return *c;
  }

  std::string dir_;
  std::string config_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

// A node with --auth-keys admits the key the client sends on every call,
// given as api_key or as api_key_file.
TEST_F(ClientNodeTest, ApiKeyIsSentOnEveryCall) {
  const std::string key = "idg_client-node-test-key";  // its SHA-256 below
  const std::string keys = dir_ + "/keys.json";
  std::ofstream(keys) << R"({"keys": [{"name": "app", "scopes": ["ids:generate", "info"],
      "sha256": "74348f7346a23f0cba5832e818fdf9ca5b26e5b673f68fa630e4ccbc0b69d1ad"}]})";
  const std::string key_file = dir_ + "/app.key";
  std::ofstream(key_file) << key << "\n";
  Node& node = StartNode({"--auth-keys", keys});
  ClientOptions o;
  o.target = node.address();
  o.deadline = 3s;
  o.api_key = key;
  Client with_key = MakeClient(o);
  EXPECT_TRUE(with_key.NextId().ok());
  EXPECT_TRUE(with_key.NextIds("orders", 3).ok());
  EXPECT_TRUE(with_key.GetInfo().ok());
  o.api_key.clear();
  o.api_key_file = key_file;
  EXPECT_TRUE(MakeClient(o).NextId().ok());
  o.api_key_file.clear();
  EXPECT_EQ(MakeClient(o).NextId().status().code(), StatusCode::kUnauthenticated);
  o.api_key = "idg_wrong";
  EXPECT_EQ(MakeClient(o).NextId().status().code(), StatusCode::kUnauthenticated);
  o.api_key = key;
  StatusOr<DecodedId> decoded = MakeClient(o).Decode("default", 1);
  EXPECT_EQ(decoded.status().code(), StatusCode::kPermissionDenied);
  // Refused locally, without the key in the message.
  o.api_key = "two words";
  StatusOr<Client> spaced = Client::Create(o);
  EXPECT_EQ(spaced.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(spaced.status().message()).find("two words"), std::string::npos);
  o.api_key_file = key_file;
  EXPECT_NE(std::string(Client::Create(o).status().message()).find("not both"), std::string::npos);
  EXPECT_EQ(node.log().find(key), std::string::npos);
}

// token_source is asked before every call: a credential that changes (a
// renewed token) is used from the next call on, without a new client.
TEST_F(ClientNodeTest, TokenSourceIsAskedOnEveryCall) {
  const std::string key = "idg_client-node-test-key";  // its SHA-256 below
  const std::string keys = dir_ + "/keys.json";
  std::ofstream(keys) << R"({"keys": [{"name": "app", "scopes": ["ids:generate", "info"],
      "sha256": "74348f7346a23f0cba5832e818fdf9ca5b26e5b673f68fa630e4ccbc0b69d1ad"}]})";
  Node& node = StartNode({"--auth-keys", keys});
  std::mutex mu;
  std::string current = "idg_not-yet-valid";
  std::atomic<int> asked{0};
  ClientOptions o;
  o.target = node.address();
  o.deadline = 3s;
  o.token_source = [&] {
    asked.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu);
    return current;
  };
  Client client = MakeClient(o);
  EXPECT_EQ(client.NextId().status().code(), StatusCode::kUnauthenticated);
  {
    std::lock_guard<std::mutex> lock(mu);
    current = key;
  }
  EXPECT_TRUE(client.NextId().ok());
  EXPECT_TRUE(client.NextIds("orders", 3).ok());
  EXPECT_GE(asked.load(), 3);
  {
    std::lock_guard<std::mutex> lock(mu);
    current = "two words";
  }
  StatusOr<uint64_t> bad = client.NextId();
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(bad.status().message()).find("two words"), std::string::npos);
  o.api_key = key;
  EXPECT_NE(std::string(Client::Create(o).status().message()).find("not both"), std::string::npos);
}

TEST_F(ClientNodeTest, EveryMethodAgainstOneNode) {
  Node& node = StartNode();
  Client client = MakeClient({.target = node.address()});
  StatusOr<uint64_t> one = client.NextId("orders");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  StatusOr<std::vector<uint64_t>> many = client.NextIds("orders", 500);
  ASSERT_TRUE(many.ok());
  ASSERT_EQ(many->size(), 500u);
  EXPECT_LT(*one, many->front());
  for (size_t i = 1; i < many->size(); ++i) ASSERT_LT((*many)[i - 1], (*many)[i]);
  StatusOr<std::vector<Id128>> wide = client.NextIds128("events", 3);
  ASSERT_TRUE(wide.ok()) << wide.status().ToString();
  EXPECT_LT((*wide)[0], (*wide)[1]);
  EXPECT_EQ((*wide)[0][6] >> 4, 7) << "UUID version 7";
  EXPECT_EQ(client.NextIds("events", 1).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(client.NextId("events").status().code(), StatusCode::kFailedPrecondition);
  StatusOr<DecodedId> decoded = client.Decode("orders", *one);
  ASSERT_TRUE(decoded.ok());
  StatusOr<NodeInfo> info = client.GetInfo();
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->serving);
  EXPECT_EQ(decoded->worker, static_cast<uint64_t>(info->worker_id));
  EXPECT_EQ(info->worker_id_min, 0);
  EXPECT_GE(info->worker_id_max, info->worker_id);
  EXPECT_NEAR(static_cast<double>(decoded->timestamp_ms),
              static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()),
              60000.0);
  EXPECT_EQ(info->namespaces.size(), 3u);
  StatusOr<uint64_t> unknown = client.NextId("nope");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("nope"), std::string::npos);
  std::future<StatusOr<std::vector<uint64_t>>> f = client.NextIdsFuture("orders", 10);
  StatusOr<std::vector<uint64_t>> later = f.get();
  ASSERT_TRUE(later.ok());
  EXPECT_LT(many->back(), later->front());
}

TEST_F(ClientNodeTest, CallbackAndFutureFormsAgainstOneNode) {
  Node& node = StartNode();
  Client client = MakeClient({.target = node.address()});
  std::future<StatusOr<uint64_t>> one = client.NextIdFuture("orders");
  std::future<StatusOr<std::vector<uint64_t>>> many = client.NextIdsFuture("orders", 100);
  std::future<StatusOr<std::vector<Id128>>> wide = client.NextIds128Future("events", 2);
  std::future<StatusOr<NodeInfo>> info = client.GetInfoFuture();
  StatusOr<uint64_t> id = one.get();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(many.get().ok());
  ASSERT_TRUE(wide.get().ok());
  StatusOr<NodeInfo> i = info.get();
  ASSERT_TRUE(i.ok());
  StatusOr<DecodedId> decoded = client.DecodeFuture("orders", *id).get();
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->worker, static_cast<uint64_t>(i->worker_id));
  // Callbacks run on a library thread; a failure arrives there too.
  std::promise<Status> failed;
  client.NextIdAsync("nope", [&](const StatusOr<uint64_t>& r) { failed.set_value(r.status()); });
  EXPECT_EQ(failed.get_future().get().code(), StatusCode::kInvalidArgument);
  std::promise<bool> decoded_async;
  client.DecodeAsync("orders", *id,
                     [&](const StatusOr<DecodedId>& r) { decoded_async.set_value(r.ok()); });
  EXPECT_TRUE(decoded_async.get_future().get());
}

// The target forms besides ipv4: lists: dns:/// (resolved; every address of
// localhost is tried, the node answers on 127.0.0.1) and unix:PATH.
TEST_F(ClientNodeTest, DnsAndUnixTargets) {
  Node& tcp = StartNode();
  Client by_name = MakeClient({.target = "dns:///localhost:" + std::to_string(tcp.port())});
  StatusOr<uint64_t> id = by_name.NextId("orders");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  const std::string socket = dir_ + "/grpc.sock";
  Node& local = StartNode({"--listen", "unix:" + socket});
  ASSERT_GT(local.port(), 0) << local.log();
  Client by_socket = MakeClient({.target = "unix:" + socket});
  StatusOr<NodeInfo> info = by_socket.GetInfo();
  ASSERT_TRUE(info.ok()) << info.status().ToString() << "\n" << local.log();
  StatusOr<NodeInfo> tcp_info = by_name.GetInfo();
  ASSERT_TRUE(tcp_info.ok());
  EXPECT_NE(info->worker_id, tcp_info->worker_id);  // two nodes, one state dir
  EXPECT_TRUE(by_socket.NextIds("orders", 10).ok());
}

// A blocking call from inside a callback would wait for the thread it runs
// on: it is refused, and the async form works there.
TEST_F(ClientNodeTest, ABlockingCallInsideACallbackIsRefusedNotADeadlock) {
  Node& node = StartNode();
  Client client = MakeClient({.target = node.address()});
  std::promise<std::pair<Status, Status>> seen;
  client.NextIdAsync("orders", [&](const StatusOr<uint64_t>& first) {
    const Status blocking = client.NextId("orders").status();
    client.NextIdAsync(
        "orders", [&, first_status = first.status(), blocking](const StatusOr<uint64_t>& second) {
          seen.set_value({blocking, second.ok() && first_status.ok() ? Status() : second.status()});
        });
  });
  std::future<std::pair<Status, Status>> f = seen.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const auto [blocking, async] = f.get();
  EXPECT_EQ(blocking.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(blocking.message().find("use the ...Async form"), std::string::npos);
  EXPECT_TRUE(async.ok()) << async.ToString();
  EXPECT_TRUE(client.NextId("orders").ok());  // from an application thread: fine
}

// A callback may drop the last copy of its client: the client goes on the
// library thread that runs the callback, and the program goes on.
TEST_F(ClientNodeTest, TheLastCopyOfAClientMayGoInsideItsOwnCallback) {
  Node& node = StartNode();
  for (int i = 0; i < 20; ++i) {
    auto holder = std::make_shared<std::optional<Client>>(MakeClient({.target = node.address()}));
    std::promise<bool> done;
    (*holder)->NextIdAsync("orders", [holder, &done](const StatusOr<uint64_t>& r) {
      holder->reset();
      done.set_value(r.ok());
    });
    std::future<bool> f = done.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "round " << i;
    EXPECT_TRUE(f.get()) << "round " << i;
  }
  // Later clients still work.
  Client client = MakeClient({.target = node.address()});
  EXPECT_TRUE(client.NextId("orders").ok());
}

TEST_F(ClientNodeTest, RoundRobinOverThreeNodesAndANodeKilledUnderLoad) {
  Node& a = StartNode();
  Node& b = StartNode();
  Node& c = StartNode();
  Client client = MakeClient(
      {.target = "ipv4:" + a.address() + "," + b.address() + "," + c.address(), .deadline = 2s});
  std::set<uint64_t> workers;
  for (int i = 0; i < 30; ++i) {
    StatusOr<NodeInfo> info = client.GetInfo();
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    workers.insert(static_cast<uint64_t>(info->worker_id));
  }
  EXPECT_EQ(workers.size(), 3u) << "round robin reached every node";

  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100000 && !stop; ++i) {
        StatusOr<std::vector<uint64_t>> ids = client.NextIds("orders", 10);
        if (!ids.ok()) {
          ++failed;
          ADD_FAILURE() << ids.status().ToString();
          continue;
        }
        got[t].insert(got[t].end(), ids->begin(), ids->end());
      }
    });
  }
  std::this_thread::sleep_for(500ms);
  b.Kill(SIGKILL);
  std::this_thread::sleep_for(1000ms);
  stop = true;
  for (auto& th : threads) th.join();
  std::unordered_set<uint64_t> all;
  size_t total = 0;
  for (const auto& ids : got) {
    all.insert(ids.begin(), ids.end());
    total += ids.size();
  }
  EXPECT_EQ(all.size(), total) << "duplicate IDs";
  EXPECT_GT(total, 1000u);
  EXPECT_EQ(failed.load(), 0);
}

TEST_F(ClientNodeTest, AStoppedNodeIsDeadlineExceeded) {
  Node& node = StartNode();
  Client client = MakeClient({.target = node.address()});
  ASSERT_TRUE(client.NextId().ok());
  node.Stop();
  const auto t0 = std::chrono::steady_clock::now();
  StatusOr<uint64_t> r = client.NextId("", {.deadline = 300ms});
  const auto took = std::chrono::steady_clock::now() - t0;
  node.Signal(SIGCONT);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_LT(took, 3s);
}

TEST_F(ClientNodeTest, MutualTls) {
  // A throwaway CA and leaves, made with the openssl command.
  const std::string pki = dir_ + "/pki";
  std::filesystem::create_directory(pki);
  const std::string script = "set -e; cd " + pki + R"(
    key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1.key 2>/dev/null; chmod 600 $1.key; }
    key ca
    openssl req -x509 -new -key ca.key -days 1 -subj /CN=ca -addext basicConstraints=critical,CA:TRUE -out ca.pem
    for n in node client; do
      key $n
      openssl req -new -key $n.key -subj /CN=$n -out $n.csr
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > $n.ext
      openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile $n.ext -out $n.pem 2>/dev/null
    done)";
  ASSERT_EQ(std::system(
                ("bash -c '" + std::regex_replace(script, std::regex("'"), "'\\''") + "'").c_str()),
            0);
  Node& node = StartNode({"--tls-cert", pki + "/node.pem", "--tls-key", pki + "/node.key",
                          "--tls-client-ca", pki + "/ca.pem"});
  Client good = MakeClient({.target = node.address(),
                            .tls = {.ca_file = pki + "/ca.pem",
                                    .cert_file = pki + "/client.pem",
                                    .key_file = pki + "/client.key"}});
  StatusOr<uint64_t> id = good.NextId();
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  Client no_cert = MakeClient(
      {.target = node.address(), .max_attempts = 1, .tls = {.ca_file = pki + "/ca.pem"}});
  EXPECT_EQ(no_cert.NextId().status().code(), StatusCode::kUnavailable);
  Client plaintext = MakeClient({.target = node.address(), .max_attempts = 1});
  EXPECT_EQ(plaintext.NextId().status().code(), StatusCode::kUnavailable);
}

TEST_F(ClientNodeTest, PoolSixteenThreadsUniqueAndIncreasing) {
  Node& node = StartNode();
  Client client = MakeClient({.target = node.address()});
  StatusOr<IdPool> pool = client.Pool("orders", {.batch = 10000, .low_water = 5000});
  ASSERT_TRUE(pool.ok());
  constexpr int kThreads = 16;
  constexpr int kEach = 1'000'000;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      got[t].reserve(kEach);
      for (int i = 0; i < kEach; ++i) {
        StatusOr<uint64_t> id = pool->Next();
        if (!id.ok()) {
          ADD_FAILURE() << id.status().ToString();
          return;
        }
        got[t].push_back(*id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<uint64_t> all;
  all.reserve(size_t{kThreads} * kEach);
  for (const auto& ids : got) {
    for (size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "duplicate IDs";
  EXPECT_EQ(all.size(), size_t{kThreads} * kEach);
  const PoolStats stats = pool->Stats();
  EXPECT_GE(stats.refills, all.size() / 10000);
  EXPECT_LE(stats.refills, all.size() / 10000 + 3 + stats.dropped_stale / 10000);
}

}  // namespace
}  // namespace idgen::client
