// Authentication counters: fixed label values only, exact counts from many threads.
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "gateway/auth_counters.hpp"

using namespace vncgate::gateway;

TEST_CASE("auth counters: every result counted under its own name, unknown ones as other", "[gateway]") {
  auth_counters c;
  c.count(factor_kind::password, "ok");
  c.count(factor_kind::password, "ok");
  c.count(factor_kind::totp, "replayed");
  c.count(factor_kind::totp, "alice's secret");  // never a label value of its own
  c.count(factor_kind::client_certificate, "mismatch");
  CHECK(c.value(factor_kind::password, "ok") == 2);
  CHECK(c.value(factor_kind::password, "rejected") == 0);
  CHECK(c.value(factor_kind::totp, "replayed") == 1);
  CHECK(c.value(factor_kind::totp, "other") == 1);
  CHECK(c.value(factor_kind::totp, "ok") == 0);
  CHECK(c.value(factor_kind::client_certificate, "mismatch") == 1);
  for (auto f : all_factor_kinds) {
    CAPTURE(to_string(f));
    CHECK(auth_counters::results(f).back() == "other");
    CHECK(auth_counters::results(f).front() == "ok");
  }
}

TEST_CASE("auth counters: eight threads, no count lost", "[gateway]") {
  auth_counters c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.count(factor_kind::totp, i % 2 ? "wrong" : "ok");
    });
  for (auto& t : threads) t.join();
  CHECK(c.value(factor_kind::totp, "ok") == 40000);
  CHECK(c.value(factor_kind::totp, "wrong") == 40000);
}
