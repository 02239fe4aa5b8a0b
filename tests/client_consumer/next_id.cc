// Copyright idgen authors.
//
// The smallest program on the installed client library, built with
// pkg-config by tests/node/client_install.test.mjs: prints one ID.
#include <iostream>

#include "idgen/client/client.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto client = idgen::client::Client::Create({.target = argv[1]});
  if (!client.ok()) return 2;
  idgen::client::StatusOr<uint64_t> id = client->NextId();
  if (!id.ok()) {
    std::cerr << id.status().ToString() << "\n";
    return 1;
  }
  std::cout << *id << "\n";
  return 0;
}
