// buffer_pool.hpp — user-space buffers for the copy relay, borrowed per burst.
//
// A relaying session reads into a buffer only while its peer has bytes for it: it takes
// one when the socket turns readable and gives it back when the socket runs dry, so an
// idle session holds no buffer (10,000 idle sessions cost no relay memory). Returned
// buffers are kept, up to a cap, for the next borrower. One pool per I/O thread and
// size (`for_this_thread`): sessions live on one thread, so no lock. A buffer that is
// not given back (a session destroyed mid-burst) is simply freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace vncgate::gateway {

class buffer_pool {
 public:
  using buffer = std::unique_ptr<std::uint8_t[]>;
  static constexpr std::size_t default_cap = 32;

  explicit buffer_pool(std::size_t size, std::size_t cap = default_cap) : size_(size), cap_(cap) {}

  std::size_t size() const noexcept { return size_; }
  std::size_t idle() const noexcept { return idle_.size(); }

  buffer take() {
    if (idle_.empty()) return std::make_unique_for_overwrite<std::uint8_t[]>(size_);
    buffer b = std::move(idle_.back());
    idle_.pop_back();
    return b;
  }
  void give_back(buffer b) noexcept {
    if (!b || idle_.size() >= cap_) return;
    try {
      idle_.push_back(std::move(b));
    } catch (...) {  // no room to remember it: freed instead
    }
  }

  // The pool of `Size`-byte buffers of the calling thread.
  template <std::size_t Size>
  static buffer_pool& for_this_thread() {
    thread_local buffer_pool pool(Size);
    return pool;
  }

 private:
  std::size_t size_;
  std::size_t cap_;
  std::vector<buffer> idle_;
};

}  // namespace vncgate::gateway
