// Copyright idgen authors.
#include "src/apphost/supervisor.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/apphost/http_probe.h"

namespace idgen::apphost {
namespace {

enum CommandKind { kStop, kStart, kRestart };

}  // namespace

struct Supervisor::Resource {
  explicit Resource(ResourceSpec s) : spec(std::move(s)) { view.spec = spec; }

  const ResourceSpec spec;
  LogBuffer log;
  // Supervisor thread only.
  std::unique_ptr<ChildProcess> child;
  bool want_up = true;
  bool healthy = false;
  // Monotonic times (Clock::MonotonicNow).
  absl::Duration next_start = -absl::InfiniteDuration();
  absl::Duration next_probe = -absl::InfiniteDuration();
  absl::Duration healthy_since = absl::InfiniteDuration();
  absl::Duration backoff;
  // Guarded by Supervisor::mu_.
  ResourceView view;
};

absl::StatusOr<std::unique_ptr<Supervisor>> Supervisor::Create(
    const std::vector<ResourceSpec>& specs, const SupervisorOptions& options, ProgressFn progress) {
  std::map<std::string, const ResourceSpec*> by_name;
  for (const ResourceSpec& s : specs) {
    if (s.name.empty()) return absl::InvalidArgumentError("a resource has no name");
    if (s.argv.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("resource ", s.name, " has no command"));
    }
    if (!by_name.emplace(s.name, &s).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate resource name ", s.name));
    }
  }
  for (const ResourceSpec& s : specs) {
    for (const std::string& d : s.depends_on) {
      if (by_name.count(d) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("resource ", s.name, " depends on unknown resource ", d));
      }
    }
  }
  // Dependency order (stable: the given order among independent resources).
  std::vector<std::string> order;
  std::set<std::string> placed;
  while (order.size() < specs.size()) {
    bool progress_made = false;
    for (const ResourceSpec& s : specs) {
      if (placed.count(s.name)) continue;
      if (std::all_of(s.depends_on.begin(), s.depends_on.end(),
                      [&](const std::string& d) { return placed.count(d) > 0; })) {
        order.push_back(s.name);
        placed.insert(s.name);
        progress_made = true;
      }
    }
    if (!progress_made) {
      std::vector<std::string> left;
      for (const ResourceSpec& s : specs) {
        if (!placed.count(s.name)) left.push_back(s.name);
      }
      return absl::InvalidArgumentError(
          absl::StrCat("dependency cycle among: ", absl::StrJoin(left, ", ")));
    }
  }
  std::vector<std::unique_ptr<Resource>> resources;
  for (const std::string& name : order) {
    resources.push_back(std::make_unique<Resource>(*by_name[name]));
    resources.back()->backoff = options.restart_min;
    resources.back()->view.state = "waiting";
  }
  return std::unique_ptr<Supervisor>(
      new Supervisor(std::move(resources), std::move(order), options, std::move(progress)));
}

Supervisor::Supervisor(std::vector<std::unique_ptr<Resource>> resources,
                       std::vector<std::string> order, const SupervisorOptions& options,
                       ProgressFn progress)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : SystemClock::Get()),
      progress_(std::move(progress)),
      order_(std::move(order)),
      resources_(std::move(resources)) {}

Supervisor::~Supervisor() { StopAll(); }

void Supervisor::Start() {
  if (thread_.joinable() || stopping_.load()) return;
  thread_ = std::thread([this] { Loop(); });
}

Supervisor::Resource* Supervisor::Find(const std::string& name) const {
  for (const auto& r : resources_) {
    if (r->spec.name == name) return r.get();
  }
  return nullptr;
}

void Supervisor::SetState(Resource& r, const std::string& state, const std::string& detail) {
  const bool changed = r.view.state != state;
  r.view.state = state;
  r.view.health_detail = detail;
  if (changed && progress_) progress_(r.spec.name, state, detail);
}

void Supervisor::Loop() {
  while (!stopping_.load()) {
    Step(clock_->MonotonicNow());
    clock_->SleepFor(options_.tick);
  }
  // Reverse start order; each one gets its grace period.
  for (auto it = resources_.rbegin(); it != resources_.rend(); ++it) StopOne(**it);
}

void Supervisor::StopOne(Resource& r) {
  if (r.child) {
    {
      idgen::MutexLock lock(&mu_);
      SetState(r, "stopping", "");
    }
    r.child->Stop(options_.stop_grace);
    r.log.AddLine("apphost", absl::StrCat("stopped: ", r.child->ExitText()), NowMs());
    idgen::MutexLock lock(&mu_);
    r.view.last_exit = r.child->ExitText();
    r.child.reset();
  }
  r.healthy = false;
  r.healthy_since = absl::InfiniteDuration();
  idgen::MutexLock lock(&mu_);
  r.view.pid = 0;
  SetState(r, "stopped", "");
}

void Supervisor::Step(absl::Duration now) {
  std::deque<std::pair<std::string, int>> commands;
  {
    idgen::MutexLock lock(&mu_);
    commands.swap(commands_);
  }
  for (const auto& [name, command] : commands) {
    Resource* r = Find(name);
    if (r == nullptr) continue;
    if (command == kStop || command == kRestart) {
      r->want_up = false;
      StopOne(*r);
    }
    if (command == kStart || command == kRestart) {
      r->want_up = true;
      r->next_start = now;
      r->backoff = options_.restart_min;
      if (command == kRestart) {
        idgen::MutexLock lock(&mu_);
        ++r->view.manual_restarts;
      }
    }
  }

  for (const auto& rp : resources_) {
    Resource& r = *rp;
    if (r.child && r.child->TryReap()) {
      const std::string exit = r.child->ExitText();
      r.log.AddLine("apphost", absl::StrCat("exited: ", exit), NowMs());
      r.child.reset();
      r.healthy = false;
      r.healthy_since = absl::InfiniteDuration();
      idgen::MutexLock lock(&mu_);
      r.view.pid = 0;
      r.view.last_exit = exit;
      if (r.want_up) {
        ++r.view.restarts;
        r.next_start = now + r.backoff;
        SetState(r, "backoff",
                 absl::StrCat(exit, "; restarting in ", absl::FormatDuration(r.backoff)));
        r.backoff = std::min(r.backoff * 2, options_.restart_max);
      } else {
        SetState(r, "stopped", exit);
      }
    }
    if (r.want_up && !r.child && now >= r.next_start) {
      std::vector<std::string> waiting_for;
      for (const std::string& d : r.spec.depends_on) {
        if (!Find(d)->healthy) waiting_for.push_back(d);
      }
      if (waiting_for.empty()) {
        Launch(r, now);
      } else {
        idgen::MutexLock lock(&mu_);
        SetState(r, "waiting", absl::StrCat("for ", absl::StrJoin(waiting_for, ", ")));
      }
    }
    if (r.child && now >= r.next_probe) Probe(r, now);
    if (r.healthy && now - r.healthy_since >= options_.stable_after) {
      r.backoff = options_.restart_min;
    }
  }
}

void Supervisor::Launch(Resource& r, absl::Duration now) {
  SpawnOptions spawn;
  spawn.argv = r.spec.argv;
  spawn.env = r.spec.env;
  spawn.log = &r.log;
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Spawn(spawn);
  if (!child.ok()) {
    r.want_up = false;
    r.log.AddLine("apphost", std::string(child.status().message()), NowMs());
    idgen::MutexLock lock(&mu_);
    SetState(r, "failed", std::string(child.status().message()));
    return;
  }
  r.child = *std::move(child);
  r.next_probe = now;
  r.log.AddLine("apphost",
                absl::StrCat("started pid ", r.child->pid(), ": ", absl::StrJoin(r.spec.argv, " ")),
                NowMs());
  idgen::MutexLock lock(&mu_);
  r.view.pid = r.child->pid();
  r.view.started_at_ms = NowMs();
  SetState(r, "starting", "");
}

void Supervisor::Probe(Resource& r, absl::Duration now) {
  r.next_probe = now + options_.health_interval;
  bool ok = false;
  std::string detail;
  if (r.spec.health_url.empty()) {
    ok = true;  // running is all we can tell
  } else {
    absl::StatusOr<ProbeResult> res =
        HttpGet(r.spec.health_url, options_.probe_timeout, options_.probe_tls);
    if (!res.ok()) {
      detail = std::string(res.status().message());
    } else {
      ok = res->status == 200;
      detail = absl::StrCat("HTTP ", res->status);
      if (!ok && !res->body.empty()) absl::StrAppend(&detail, ": ", res->body.substr(0, 300));
    }
  }
  if (ok && !r.healthy) r.healthy_since = now;
  const bool was_healthy = r.healthy;
  r.healthy = ok;
  idgen::MutexLock lock(&mu_);
  if (ok) {
    SetState(r, "healthy", detail);
  } else {
    SetState(r, was_healthy || r.view.state == "unhealthy" ? "unhealthy" : "starting", detail);
  }
}

absl::Status Supervisor::Command(const std::string& name, int command) {
  if (Find(name) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no resource named \"", name, "\"; resources: ", absl::StrJoin(order_, ", ")));
  }
  if (stopping_.load()) return absl::FailedPreconditionError("the app is shutting down");
  idgen::MutexLock lock(&mu_);
  commands_.emplace_back(name, command);
  return absl::OkStatus();
}

absl::Status Supervisor::StopResource(const std::string& name) { return Command(name, kStop); }
absl::Status Supervisor::StartResource(const std::string& name) { return Command(name, kStart); }
absl::Status Supervisor::RestartResource(const std::string& name) {
  return Command(name, kRestart);
}

void Supervisor::StopAll() {
  if (stopped_.exchange(true)) return;
  stopping_.store(true);
  if (thread_.joinable()) {
    thread_.join();
  } else {
    for (auto it = resources_.rbegin(); it != resources_.rend(); ++it) StopOne(**it);
  }
}

std::vector<ResourceView> Supervisor::Snapshot() const {
  idgen::MutexLock lock(&mu_);
  std::vector<ResourceView> out;
  for (const auto& r : resources_) out.push_back(r->view);
  return out;
}

LogBuffer* Supervisor::Logs(const std::string& name) const {
  Resource* r = Find(name);
  return r == nullptr ? nullptr : &r->log;
}

absl::Status Supervisor::WaitAllHealthy(absl::Duration timeout) {
  const absl::Duration end = clock_->MonotonicNow() + timeout;
  for (;;) {
    std::vector<ResourceView> views = Snapshot();
    const ResourceView* bad = nullptr;
    bool all = true;
    for (const ResourceView& v : views) {
      if (v.state == "failed") {
        all = false;
        bad = &v;
        break;
      }
      if (v.state != "healthy") {
        all = false;
        if (bad == nullptr) bad = &v;
      }
    }
    if (all) return absl::OkStatus();
    if (bad->state == "failed" || clock_->MonotonicNow() >= end) {
      std::string tail;
      for (const LogLine& l : Logs(bad->spec.name)->Since(0)) {
        tail += absl::StrCat("\n    ", l.text);
      }
      const size_t keep = 3000;
      if (tail.size() > keep) tail = "\n    ..." + tail.substr(tail.size() - keep);
      return absl::UnavailableError(absl::StrCat(
          "resource ", bad->spec.name, " is ", bad->state,
          bad->health_detail.empty() ? "" : absl::StrCat(" (", bad->health_detail, ")"),
          bad->state == "failed" ? "" : absl::StrCat(" after ", absl::FormatDuration(timeout)),
          "; its log:", tail.empty() ? " (empty)" : tail));
    }
    clock_->SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace idgen::apphost
