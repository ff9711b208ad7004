// gateway_buffer_pool_test.cpp — the copy relay's buffers: a taken buffer has the pool's
// size, one given back is the next one taken (the same memory), the pool keeps at most
// its cap and ignores an empty handle, and for_this_thread gives each thread and each
// size its own pool.
#include <catch2/catch.hpp>

#include <cstdint>
#include <thread>
#include <vector>

#include "gateway/buffer_pool.hpp"

using vncgate::gateway::buffer_pool;

TEST_CASE("buffer pool: a taken buffer holds the pool's size", "[gateway]") {
  buffer_pool pool(4096);
  CHECK(pool.size() == 4096);
  CHECK(pool.idle() == 0);
  auto b = pool.take();
  REQUIRE(b);
  // Every byte is ours to write (ASan reports an overflow if the buffer were smaller).
  for (std::size_t i = 0; i < pool.size(); ++i) b[i] = static_cast<std::uint8_t>(i);
  CHECK(b[4095] == static_cast<std::uint8_t>(4095));
  CHECK(pool.idle() == 0);
}

TEST_CASE("buffer pool: a buffer given back is the next one taken", "[gateway]") {
  buffer_pool pool(1024);
  auto first = pool.take();
  auto second = pool.take();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first.get() != second.get());
  const std::uint8_t* kept = first.get();
  pool.give_back(std::move(first));
  CHECK(first == nullptr);
  CHECK(pool.idle() == 1);
  auto again = pool.take();
  CHECK(again.get() == kept);
  CHECK(pool.idle() == 0);
  // Last in, first out: the most recently returned buffer is still warm in the cache.
  const std::uint8_t* second_address = second.get();
  pool.give_back(std::move(again));
  pool.give_back(std::move(second));
  CHECK(pool.take().get() == second_address);
}

TEST_CASE("buffer pool: keeps at most its cap, frees the rest", "[gateway]") {
  constexpr std::size_t cap = 3;
  buffer_pool pool(256, cap);
  std::vector<buffer_pool::buffer> taken;
  for (std::size_t i = 0; i < cap + 5; ++i) taken.push_back(pool.take());
  for (auto& b : taken) pool.give_back(std::move(b));
  CHECK(pool.idle() == cap);
  for (std::size_t i = 0; i < cap; ++i) CHECK(pool.take() != nullptr);
  CHECK(pool.idle() == 0);
}

TEST_CASE("buffer pool: the default cap", "[gateway]") {
  buffer_pool pool(64);
  std::vector<buffer_pool::buffer> taken;
  for (std::size_t i = 0; i < buffer_pool::default_cap + 5; ++i) taken.push_back(pool.take());
  for (auto& b : taken) pool.give_back(std::move(b));
  CHECK(pool.idle() == buffer_pool::default_cap);
}

TEST_CASE("buffer pool: an empty handle given back is ignored", "[gateway]") {
  buffer_pool pool(128, 2);
  pool.give_back(nullptr);
  pool.give_back(buffer_pool::buffer{});
  CHECK(pool.idle() == 0);
  auto b = pool.take();
  CHECK(b != nullptr);
}

TEST_CASE("buffer pool: for_this_thread is one pool per thread and per size", "[gateway]") {
  buffer_pool& mine = buffer_pool::for_this_thread<1024>();
  CHECK(&mine == &buffer_pool::for_this_thread<1024>());
  CHECK(mine.size() == 1024);

  buffer_pool& other_size = buffer_pool::for_this_thread<2048>();
  CHECK(&other_size != &mine);
  CHECK(other_size.size() == 2048);

  // A buffer returned here is not visible to another thread's pool.
  mine.give_back(mine.take());
  const std::size_t idle_here = mine.idle();
  CHECK(idle_here >= 1);

  const buffer_pool* theirs = nullptr;
  std::size_t their_idle = 0;
  std::size_t their_size = 0;
  std::thread other([&] {
    buffer_pool& p = buffer_pool::for_this_thread<1024>();
    theirs = &p;
    their_idle = p.idle();
    their_size = p.size();
    p.give_back(p.take());
  });
  other.join();
  CHECK(theirs != &mine);
  CHECK(their_size == 1024);
  CHECK(their_idle == 0);
  CHECK(mine.idle() == idle_here);
}
