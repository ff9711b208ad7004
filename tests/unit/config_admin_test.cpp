// config_admin_test.cpp — the admin listener's keys (metrics.enabled, address,
// admin_token_file, max_connections) and shutdown_grace: defaults, the token read from a
// secret file, and every refusal placed at its key: a token file others may read, a
// short or multi-word token, a non-loopback address without a token.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;

namespace {

const std::string token = "0123456789abcdef0123456789abcdef0123456789abcdef";
// The four required sections take 13 lines: `metrics:` is line 14, its first key line 15.
const std::string rest = rest_without("");

}  // namespace

TEST_CASE("admin listener: defaults", "[config]") {
  config_dir d;
  auto cfg = d.load(rest);
  if (!cfg) FAIL(dump(cfg.error()));
  CHECK(cfg->metrics.enabled);
  CHECK(cfg->metrics.address.to_string() == "127.0.0.1:9900");
  CHECK(cfg->metrics.admin_token.empty());
  CHECK(cfg->metrics.max_connections == 16);
  CHECK(cfg->shutdown_grace == std::chrono::seconds(25));
}

TEST_CASE("admin listener: the token comes from its secret file, and a non-loopback address needs it", "[config]") {
  config_dir d;
  d.write("admin-token", token + "\r\n", 0600);
  auto cfg = d.load(rest + "metrics:\n  address: 0.0.0.0:9900\n  admin_token_file: admin-token\n"
                           "  max_connections: 4\nshutdown_grace: 90s\n");
  if (!cfg) FAIL(dump(cfg.error()));
  CHECK(cfg->metrics.admin_token == token);
  CHECK(cfg->metrics.admin_token_file == d.path("admin-token"));
  CHECK(cfg->metrics.max_connections == 4);
  CHECK(cfg->shutdown_grace == std::chrono::seconds(90));
  // Loopback in either family needs no token.
  for (const char* address : {"127.0.0.1:9900", "127.8.9.10:9900", "\"[::1]:9900\""}) {
    INFO(address);
    auto local = d.load(rest + "metrics:\n  address: " + std::string(address) + "\n");
    if (!local) FAIL(dump(local.error()));
  }
  // Nor does a disabled listener.
  CHECK(d.load(rest + "metrics:\n  enabled: false\n  address: 0.0.0.0:9900\n"));
}

TEST_CASE("admin listener: errors at their keys", "[config]") {
  config_dir d;
  const auto file = d.path("vncgate.yaml");
  SECTION("a network address without a token") {
    expect_error(d.errors(rest + "metrics:\n  address: 0.0.0.0:9900\n"), 15, 12,
                 "the admin listener 0.0.0.0:9900 is not on loopback: set metrics.admin_token_file", file);
    expect_error(d.errors(rest + "metrics:\n  address: \"[::]:9900\"\n"), 15, 12, "is not on loopback", file);
  }
  SECTION("a token file others may read") {
    d.write("admin-token", token + "\n", 0640);
    expect_error(d.errors(rest + "metrics:\n  admin_token_file: admin-token\n"), 15, 21, "admin-token", file);
  }
  SECTION("a short token") {
    d.write("admin-token", "short-token\n", 0600);
    expect_error(d.errors(rest + "metrics:\n  admin_token_file: admin-token\n"), 15, 21,
                 "is 11 characters long; expected at least 32", file);
  }
  SECTION("a token with a space") {
    d.write("admin-token", token + " more\n", 0600);
    expect_error(d.errors(rest + "metrics:\n  admin_token_file: admin-token\n"), 15, 21,
                 "must be one line of printable ASCII without spaces", file);
  }
  SECTION("a missing token file") {
    expect_error(d.errors(rest + "metrics:\n  admin_token_file: nowhere\n"), 15, 21, "nowhere", file);
  }
  SECTION("max_connections out of range") {
    expect_error(d.errors(rest + "metrics:\n  max_connections: 0\n"), 15, 20, "max_connections", file);
  }
  SECTION("shutdown_grace not a duration") {
    expect_error(d.errors(rest + "shutdown_grace: soon\n"), 14, 17, "shutdown_grace", file);
  }
}

TEST_CASE("admin listener: the token is not kept in the error text", "[config]") {
  config_dir d;
  d.write("admin-token", "tiny-secret-value\n", 0600);
  auto errors = d.errors(rest + "metrics:\n  admin_token_file: admin-token\n");
  for (const auto& e : errors) CHECK(e.message.find("tiny-secret-value") == std::string::npos);
}
