// gateway_pipe_pool_test.cpp — the splice relay's pipes: borrowed and given back empty
// they are reused (the same descriptors), a pipe still holding bytes is closed rather
// than handed to the next session, the pool keeps at most its cap, and new pipes are
// non-blocking, close-on-exec and grown towards the requested size.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "gateway/pipe_pool.hpp"

using vncgate::gateway::kernel_pipe;
using vncgate::gateway::pipe_pool;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

}  // namespace

TEST_CASE("pipe pool: an empty pipe given back is the next one taken", "[gateway]") {
  pipe_pool pool(4, 256 * 1024);
  auto first = pool.take();
  REQUIRE(first);
  const int r = first->read_end(), w = first->write_end();
  CHECK((::fcntl(r, F_GETFL) & O_NONBLOCK) != 0);
  CHECK((::fcntl(w, F_GETFD) & FD_CLOEXEC) != 0);
  CHECK(pool.pipe_capacity() >= 64 * 1024);
  pool.give_back(std::move(*first));
  CHECK(pool.idle() == 1);
  auto again = pool.take();
  REQUIRE(again);
  CHECK(again->read_end() == r);
  CHECK(again->write_end() == w);
  CHECK(pool.idle() == 0);
}

TEST_CASE("pipe pool: a pipe that still holds bytes is closed, never reused", "[gateway]") {
  pipe_pool pool(4);
  auto p = pool.take();
  REQUIRE(p);
  const int r = p->read_end(), w = p->write_end();
  REQUIRE(::write(w, "leftover", 8) == 8);
  CHECK(p->pending() == 8);
  pool.give_back(std::move(*p));
  CHECK(pool.idle() == 0);
  CHECK_FALSE(is_open(r));
  CHECK_FALSE(is_open(w));
}

TEST_CASE("pipe pool: keeps at most its cap, closes the rest", "[gateway]") {
  pipe_pool pool(2);
  std::vector<kernel_pipe> taken;
  for (int i = 0; i < 3; ++i) {
    auto p = pool.take();
    REQUIRE(p);
    taken.push_back(std::move(*p));
  }
  const int last_read = taken.back().read_end();
  for (auto& p : taken) pool.give_back(std::move(p));
  CHECK(pool.idle() == 2);
  CHECK_FALSE(is_open(last_read));
}
