// Copyright idgen authors.
#include "src/http/testing/raw_connection.h"

#include <utility>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace idgen::http::testing {

std::string Get(std::string_view target, std::string_view extra_headers) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

std::string Post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

std::string HeaderOf(const ClientResponse& r, std::string_view name) {
  auto it = r.find(beast::string_view(name.data(), name.size()));
  return it == r.end() ? std::string() : std::string(it->value());
}

void Echo(const Request& req, Response& resp) {
  resp.content_type = "text/plain";
  if (req.method == "POST") {
    resp.body = req.body;
    return;
  }
  resp.body = req.method + " " + req.path + "\n";
  for (const auto& [name, value] : req.query) resp.body += "[" + name + "]=[" + value + "]\n";
}

std::string UrlOf(const HttpServer& server, std::string_view target) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(target);
}

std::unique_ptr<HttpServer> StartServer(HttpServer::Options options) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

std::unique_ptr<HttpServer> StartServer(Handler handler) {
  HttpServer::Options options;
  options.handler = std::move(handler);
  return StartServer(std::move(options));
}

}  // namespace idgen::http::testing
