// policy_rate_test.cpp — token buckets with a clock driven by hand.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "policy/address.hpp"
#include "policy/token_bucket.hpp"

using namespace vncgate::policy;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

namespace {

const steady_time t0{std::chrono::hours(1000)};

address addr(const std::string& text) {
  const auto a = parse_address(text);
  REQUIRE(a);
  return *a;
}

// The k-th token after a drained bucket of `tokens` per `per` is due at ceil(k·per/tokens).
nanoseconds due(std::uint64_t k, const rate_limit& r) {
  const auto per = static_cast<std::uint64_t>(r.per.count());
  return nanoseconds((k * per + r.tokens - 1) / r.tokens);
}

int take_all(token_bucket& b, steady_time now) {
  int n = 0;
  while (b.try_take(now)) ++n;
  return n;
}

}  // namespace

TEST_CASE("check accepts usable limits", "[policy]") {
  const auto r = GENERATE(values<rate_limit>({
      {1, 1s, 1},
      {30, 60s, 10},
      {0, 1s, 5},
      {1'000'000'000, 1s, 1},
      {1, 24h, 100'000},
      {7, 3s, 150'000'000},
  }));
  CHECK(check(r).empty());
  CHECK_NOTHROW(token_bucket(r));
}

TEST_CASE("check refuses unusable limits with a sentence", "[policy]") {
  struct row {
    rate_limit limit;
    const char* says;
  };
  const auto r = GENERATE(values<row>({
      {{1, 1s, 0}, "burst must be at least 1"},
      {{1, 0s, 1}, "period must be longer than zero"},
      {{1, -1s, 1}, "period must be longer than zero"},
      {{1'000'000'001, 1s, 1}, "one token per nanosecond"},
      {{2, 1ns, 1}, "one token per nanosecond"},
      {{1, 24h, 200'000}, "burst is too large"},
      {{0, 1s, UINT64_MAX}, "burst is too large"},
  }));
  CHECK_THAT(check(r.limit), Catch::Contains(r.says));
  CHECK_THROWS_AS(token_bucket(r.limit), std::invalid_argument);
  CHECK_THROWS_AS(keyed_token_buckets(keyed_rate_limit{r.limit}), std::invalid_argument);
}

TEST_CASE("a new bucket serves its burst, then refuses", "[policy]") {
  const auto burst = GENERATE(1u, 2u, 5u, 100u);
  token_bucket b({1, 1s, burst});
  CHECK(b.full(t0));
  CHECK(b.available(t0) == burst);
  for (unsigned i = 0; i < burst; ++i) CHECK(b.try_take(t0));
  CHECK_FALSE(b.try_take(t0));
  CHECK_FALSE(b.try_take(t0));
  CHECK(b.available(t0) == 0);
  CHECK_FALSE(b.full(t0));
}

TEST_CASE("each token arrives exactly when due, never a nanosecond early", "[policy]") {
  // Burst 2, so that a token taken the nanosecond it is due leaves its fraction of the
  // next one in the bucket (with burst 1 the bucket would be full and cap it away).
  const auto r = GENERATE(values<rate_limit>({
      {1, 1s, 2},
      {3, 1s, 2},                // 333,333,333.3 ns apart
      {7, 3s, 2},
      {30, 60s, 2},
      {1'000'000, 1s, 2},
      {999'999'937, 1s, 2},      // a prime: almost one per nanosecond
      {1, 1ns, 2},
      {2, 3ns, 2},
  }));
  CAPTURE(r.tokens, r.per.count());
  token_bucket b(r);
  REQUIRE(take_all(b, t0) == 2);
  for (std::uint64_t k = 1; k <= 200; ++k) {
    const auto at = t0 + due(k, r);
    INFO("token " << k);
    if (b.try_take(at - 1ns)) FAIL("granted before it was due");
    if (!b.try_take(at)) FAIL("refused when due");
  }
}

TEST_CASE("a full bucket of burst 1 does not bank the time past its token", "[policy]") {
  token_bucket b({2, 3s, 1});  // a token every 1.5 s
  REQUIRE(b.try_take(t0));
  CHECK(b.full(t0 + 1500ms));
  // Nobody asked at 1.5 s; the half token earned from 1.5 s to 2.25 s is not kept.
  CHECK(b.try_take(t0 + 2250ms));
  CHECK_FALSE(b.try_take(t0 + 3749ms));
  CHECK(b.try_take(t0 + 3750ms));
}

TEST_CASE("a million calls at uneven times drift by nothing", "[policy]") {
  const rate_limit r{7, 3s, 2};
  token_bucket b(r);
  std::mt19937_64 random(20240601);
  std::uniform_int_distribution<std::int64_t> step(0, 2'000'000);  // up to 2 ms
  auto now = t0;
  std::uint64_t granted = 0;
  for (int call = 0; call < 1'000'000; ++call) {
    if (b.try_take(now)) ++granted;
    // From the second call on, every due token has been taken: the bucket never caps
    // (2 ms earns far less than one token), so the count is exactly the burst plus
    // what the elapsed time earned.
    if (call >= 1) {
      const auto elapsed = static_cast<std::uint64_t>((now - t0).count());
      const std::uint64_t expected = 2 + elapsed * 7 / 3'000'000'000ULL;
      if (granted != expected) {
        INFO("call " << call << " granted " << granted << " expected " << expected);
        FAIL("drift");
      }
    }
    now += nanoseconds(step(random));
  }
  CHECK(granted > 2000);  // about 1000 s at 7 per 3 s
}

TEST_CASE("a clock that goes backwards refills nothing, then or later", "[policy]") {
  token_bucket b({1, 1s, 1});
  REQUIRE(b.try_take(t0 + 10s));
  CHECK_FALSE(b.try_take(t0 + 9s));              // earlier: no refill
  CHECK_FALSE(b.try_take(t0 + 10s + 600ms));     // 0.6 s since the latest time seen
  CHECK_FALSE(b.try_take(t0 + 10s + 200ms));     // back again
  // Had either backwards call become the reference, 10.7 s would count 0.5 or 1.7 s
  // and grant: only 0.7 s have passed since 10 s.
  CHECK_FALSE(b.try_take(t0 + 10s + 700ms));
  CHECK_FALSE(b.try_take(t0 + 10s + 999'999'999ns));
  CHECK(b.try_take(t0 + 11s));
  CHECK_FALSE(b.try_take(t0 + 11s));
}

TEST_CASE("a backwards time still spends tokens that are there", "[policy]") {
  token_bucket b({1, 1s, 3});
  CHECK(b.try_take(t0 + 5s));
  CHECK(b.try_take(t0 + 4s));
  CHECK(b.try_take(t0 + 3s));
  CHECK_FALSE(b.try_take(t0 + 2s));
  CHECK(b.available(t0 + 6s) == 1);  // one second after the latest time seen
}

TEST_CASE("a long gap fills the bucket to its burst and no further", "[policy]") {
  token_bucket b({1, 1s, 3});
  REQUIRE(take_all(b, t0) == 3);
  const auto later = GENERATE(as<nanoseconds>{}, 3s, 10s, 24h * 365 * 100);
  CHECK(b.full(t0 + later));
  CHECK(b.available(t0 + later) == 3);
  CHECK(take_all(b, t0 + later) == 3);
}

TEST_CASE("extreme time points do not overflow", "[policy]") {
  token_bucket b({999'999'937, 1s, 3});
  const auto earliest = steady_time::min() + 1ns;
  REQUIRE(take_all(b, earliest) == 3);
  CHECK(b.available(steady_time::max()) == 3);
  CHECK(take_all(b, steady_time::max()) == 3);
  CHECK_FALSE(b.try_take(steady_time::max()));
  CHECK_FALSE(b.try_take(earliest));
}

TEST_CASE("a rate of zero never refills", "[policy]") {
  token_bucket b({0, 1s, 2});
  CHECK(b.try_take(t0));
  CHECK(b.try_take(t0 + 1h));
  CHECK_FALSE(b.try_take(t0 + 1h));
  CHECK_FALSE(b.try_take(t0 + 24h * 365 * 200));
  CHECK(b.available(steady_time::max()) == 0);
}

TEST_CASE("full and available follow the refill", "[policy]") {
  token_bucket b({2, 1s, 4});
  REQUIRE(take_all(b, t0) == 4);
  CHECK(b.available(t0 + 499ms) == 0);
  CHECK(b.available(t0 + 500ms) == 1);
  CHECK(b.available(t0 + 1500ms) == 3);
  CHECK_FALSE(b.full(t0 + 1999ms));
  CHECK(b.full(t0 + 2s));
  // Looking does not take.
  CHECK(b.available(t0 + 2s) == 4);
}

TEST_CASE("shared_token_bucket across 8 threads grants what the rate allows", "[policy]") {
  const rate_limit r{50, 1s, 10};
  shared_token_bucket bucket(r);
  std::atomic<std::int64_t> clock{0};
  std::atomic<std::uint64_t> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20'000; ++i) {
        const auto now = t0 + nanoseconds(clock.fetch_add(100'000));  // 0.1 ms a call
        if (bucket.try_take(now)) granted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto elapsed = static_cast<std::uint64_t>(clock.load());  // 16 s
  const std::uint64_t most = 10 + elapsed * 50 / 1'000'000'000;
  CHECK(granted.load() <= most);
  CHECK(granted.load() >= most - 3);  // hammered: almost every token is taken
}

TEST_CASE("keyed buckets: each source has its own", "[policy]") {
  keyed_token_buckets table(keyed_rate_limit{{1, 1s, 2}});
  const auto a = addr("192.0.2.1"), b = addr("192.0.2.2");
  CHECK(table.try_take(a, t0).granted);
  CHECK(table.try_take(a, t0).granted);
  CHECK_FALSE(table.try_take(a, t0).granted);
  CHECK(table.try_take(b, t0).granted);
  CHECK(table.try_take(b, t0).granted);
  CHECK_FALSE(table.try_take(b, t0).granted);
  CHECK(table.size() == 2);
  CHECK_FALSE(table.try_take(a, t0 + 999ms).granted);
  CHECK(table.try_take(a, t0 + 1s).granted);
}

TEST_CASE("keyed buckets: an IPv6 /64 is one source, a mapped IPv4 is its IPv4", "[policy]") {
  keyed_token_buckets table(keyed_rate_limit{{1, 1s, 1}});
  CHECK(table.key_of(addr("2001:db8:1:2:aaaa::9")) == addr("2001:db8:1:2::"));
  CHECK(table.key_of(addr("10.1.2.3")) == addr("10.1.2.3"));
  CHECK(table.try_take(addr("2001:db8:1:2::1"), t0).granted);
  CHECK_FALSE(table.try_take(addr("2001:db8:1:2:ffff:ffff:ffff:ffff"), t0).granted);
  CHECK(table.try_take(addr("2001:db8:1:3::1"), t0).granted);
  CHECK(table.try_take(addr("10.1.2.3"), t0).granted);
  CHECK_FALSE(table.try_take(addr("::ffff:10.1.2.3"), t0).granted);
  CHECK(table.try_take(addr("10.1.2.4"), t0).granted);
  CHECK(table.size() == 4);
}

TEST_CASE("keyed buckets: the key prefixes are configurable", "[policy]") {
  keyed_token_buckets table(keyed_rate_limit{{1, 1s, 1}, 1000, 24, 128});
  CHECK(table.key_of(addr("10.1.2.3")) == addr("10.1.2.0"));
  CHECK(table.try_take(addr("10.1.2.3"), t0).granted);
  CHECK_FALSE(table.try_take(addr("10.1.2.200"), t0).granted);
  CHECK(table.try_take(addr("10.1.3.1"), t0).granted);
  CHECK(table.try_take(addr("2001:db8::1"), t0).granted);
  CHECK(table.try_take(addr("2001:db8::2"), t0).granted);
}

TEST_CASE("keyed buckets: table limits are checked", "[policy]") {
  struct row {
    keyed_rate_limit limit;
    const char* says;
  };
  const auto r = GENERATE(values<row>({
      {{{1, 1s, 1}, 0}, "at least 1"},
      {{{1, 1s, 1}, 10, 33, 64}, "IPv4 key prefix"},
      {{{1, 1s, 1}, 10, 32, 129}, "IPv6 key prefix"},
      {{{1, 1s, 0}, 10}, "burst must be at least 1"},
  }));
  CHECK_THAT(check(r.limit), Catch::Contains(r.says));
  CHECK_THROWS_AS(keyed_token_buckets(r.limit), std::invalid_argument);
  CHECK(check(keyed_rate_limit{{1, 1s, 1}, 1, 0, 0}).empty());
}

TEST_CASE("keyed buckets: prune drops exactly the full entries", "[policy]") {
  keyed_token_buckets table(keyed_rate_limit{{1, 1s, 3}});
  REQUIRE(table.try_take(addr("192.0.2.1"), t0).granted);          // full again at +1 s
  REQUIRE(table.try_take(addr("192.0.2.2"), t0 + 500ms).granted);  // full at +1.5 s
  REQUIRE(table.try_take(addr("192.0.2.3"), t0 + 900ms).granted);  // full at +1.9 s
  CHECK(table.size() == 3);
  CHECK(table.prune(t0 + 999ms) == 0);
  CHECK(table.prune(t0 + 1s) == 1);
  CHECK(table.size() == 2);
  CHECK(table.prune(t0 + 1899ms) == 1);
  CHECK(table.size() == 1);
  CHECK(table.prune(t0 + 1900ms) == 1);
  CHECK(table.size() == 0);
  // A pruned source starts again with its whole burst, as it would have anyway.
  for (int i = 0; i < 3; ++i) CHECK(table.try_take(addr("192.0.2.1"), t0 + 2s).granted);
  CHECK_FALSE(table.try_take(addr("192.0.2.1"), t0 + 2s).granted);
}

TEST_CASE("keyed buckets: a full table drops idle entries first, then the least used", "[policy]") {
  keyed_token_buckets table(keyed_rate_limit{{1, 1s, 100}, 3});
  const auto take = [&](const char* a, int n, steady_time now) {
    for (int i = 0; i < n; ++i) REQUIRE(table.try_take(addr(a), now).granted);
  };
  take("192.0.2.1", 1, t0);   // 99 left: full again at +1 s
  take("192.0.2.2", 50, t0);  // 50 left
  take("192.0.2.3", 30, t0);  // 70 left
  REQUIRE(table.size() == 3);

  // At +1 s .1 is idle: it makes room without counting as an eviction.
  const auto d = table.try_take(addr("192.0.2.4"), t0 + 1s);
  CHECK(d.granted);
  CHECK_FALSE(d.evicted);
  CHECK(table.size() == 3);

  // Now none is idle; .4 (99 left) is closest to full and goes. The newcomer is served.
  const auto e = table.try_take(addr("192.0.2.5"), t0 + 1s);
  CHECK(e.granted);
  CHECK(e.evicted);
  CHECK(table.size() == 3);

  // .2 and .3 kept their state: 51 and 71 tokens at +1 s.
  int left2 = 0, left3 = 0;
  while (table.try_take(addr("192.0.2.2"), t0 + 1s).granted) ++left2;
  while (table.try_take(addr("192.0.2.3"), t0 + 1s).granted) ++left3;
  CHECK(left2 == 51);
  CHECK(left3 == 71);
}

TEST_CASE("keyed buckets: a flood of new sources never locks a new one out", "[policy]") {
  const std::size_t max_entries = GENERATE(std::size_t{1}, std::size_t{100}, std::size_t{5000});
  keyed_token_buckets table(keyed_rate_limit{{1, 60s, 5}, max_entries});
  std::size_t evicted = 0;
  for (std::uint32_t i = 0; i < 20'000; ++i) {
    const address source = address::v4({10, static_cast<std::uint8_t>(i >> 16),
                                        static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)});
    const auto r = table.try_take(source, t0);
    if (!r.granted) FAIL("a new source was refused");
    if (r.evicted) ++evicted;
    if (table.size() > max_entries) FAIL("the table outgrew its bound");
  }
  CHECK(table.size() == max_entries);
  CHECK(evicted == 20'000 - max_entries);
}

TEST_CASE("keyed buckets: 8 threads never get more than the rates allow", "[policy]") {
  constexpr int keys = 64;
  const rate_limit r{10, 1s, 5};
  keyed_token_buckets table({r}, 0x5eed);
  std::atomic<std::int64_t> clock{0};
  std::vector<std::atomic<std::uint64_t>> granted(keys);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50'000; ++i) {
        const int key = (i + 7 * t) % keys;
        const auto now = t0 + nanoseconds(clock.fetch_add(100'000));  // 0.1 ms a call
        const auto source = address::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, static_cast<std::uint8_t>(key),
                                         0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(t)});
        if (table.try_take(source, now).granted) granted[key].fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto elapsed = static_cast<std::uint64_t>(clock.load());  // 40 s
  const std::uint64_t most = 5 + elapsed * 10 / 1'000'000'000;
  for (int key = 0; key < keys; ++key) {
    INFO("key " << key);
    CHECK(granted[key].load() <= most);
    CHECK(granted[key].load() >= most / 2);
  }
  CHECK(table.size() == keys);  // the host part differs per thread; the /64 is the key
}

TEST_CASE("keyed buckets: 8 threads flooding a small table keep it bounded", "[policy]") {
  keyed_token_buckets table(keyed_rate_limit{{1, 60s, 2}, 1000});
  std::atomic<std::uint64_t> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint32_t i = 0; i < 20'000; ++i) {
        const address source = address::v4({static_cast<std::uint8_t>(t + 1), static_cast<std::uint8_t>(i >> 16),
                                            static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)});
        if (!table.try_take(source, t0 + nanoseconds(i)).granted) refused.fetch_add(1);
        if (i % 1000 == 0) table.prune(t0 + nanoseconds(i));
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(refused.load() == 0);
  CHECK(table.size() <= 1000);
}
