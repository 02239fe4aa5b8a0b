// Copyright idgen authors.
//
// An order service that numbers its orders with IDs from a local pool:
// most orders touch no network, one NextIds call refills 1000 at a time.
//
//   order_service TARGET [ORDERS] [THREADS]
//
// Places ORDERS orders (default 1000) from THREADS threads (default 4),
// checks that no order number repeats, prints a summary; exit 1 when the
// node cannot be reached or a number repeats, 2 for bad arguments.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "idgen/client/client.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::cerr << "usage: order_service TARGET [ORDERS] [THREADS]\n";
    return 2;
  }
  const long orders = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 1000;
  const long threads = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 4;
  if (orders < 1 || threads < 1 || threads > 64) {
    std::cerr << "order_service: ORDERS must be >= 1 and THREADS in 1..64\n";
    return 2;
  }

  idgen::client::ClientOptions options;
  options.target = argv[1];
  idgen::client::StatusOr<idgen::client::Client> client = idgen::client::Client::Create(options);
  if (!client.ok()) {
    std::cerr << "order_service: " << client.status().ToString() << "\n";
    return 2;
  }
  idgen::client::StatusOr<idgen::client::IdPool> pool =
      client->Pool("", {.batch = 1000, .low_water = 200});
  if (!pool.ok()) {
    std::cerr << "order_service: " << pool.status().ToString() << "\n";
    return 2;
  }

  std::mutex mu;
  std::unordered_set<uint64_t> numbers;
  std::string failure;
  std::vector<std::thread> workers;
  for (long t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (long i = t; i < orders; i += threads) {
        idgen::client::StatusOr<uint64_t> id = pool->Next();
        std::lock_guard<std::mutex> lock(mu);
        if (!id.ok()) {
          failure = id.status().ToString();
          return;
        }
        if (!numbers.insert(*id).second) failure = "order number " + std::to_string(*id) + " repeated";
      }
    });
  }
  for (std::thread& w : workers) w.join();
  if (!failure.empty()) {
    std::cerr << "order_service: " << failure << "\n";
    return 1;
  }
  const idgen::client::PoolStats stats = pool->Stats();
  std::cout << "placed " << numbers.size() << " orders with unique numbers from " << threads
            << " threads; " << stats.refills << " refills\n";
  return 0;
}
