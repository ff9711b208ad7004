// pipe_pool.hpp — kernel pipes for splice(2), borrowed per burst and kept for reuse.
//
// The splice relay moves target->client bytes socket -> pipe -> socket without copying
// them to user space. A session borrows a pipe when the target has something to send
// and gives it back once the pipe is empty again, so an idle session holds no pipe and
// 10,000 idle sessions cost no descriptors beyond their two sockets. Returned pipes are
// kept (up to a cap) for the next borrower; a pipe given back with bytes still in it
// (a session that ended mid-burst) is closed, never handed to another session.
//
// One pool per I/O thread (`for_this_thread()`): sessions live on one thread, so the pool
// needs no lock. Pipes are made O_CLOEXEC | O_NONBLOCK and grown to `pipe_bytes` where
// the kernel allows (fs.pipe-max-size), falling back to the default 64 KiB.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "rfb/expected.hpp"

namespace vncgate::gateway {

// Both ends of one pipe; closes them when destroyed.
class kernel_pipe {
 public:
  kernel_pipe() = default;
  kernel_pipe(int read_end, int write_end) noexcept : read_(read_end), write_(write_end) {}
  kernel_pipe(kernel_pipe&& other) noexcept;
  kernel_pipe& operator=(kernel_pipe&& other) noexcept;
  kernel_pipe(const kernel_pipe&) = delete;
  kernel_pipe& operator=(const kernel_pipe&) = delete;
  ~kernel_pipe();

  int read_end() const noexcept { return read_; }
  int write_end() const noexcept { return write_; }
  explicit operator bool() const noexcept { return read_ >= 0; }
  // Bytes waiting in the pipe (FIONREAD); 0 when it cannot be asked.
  std::size_t pending() const noexcept;

 private:
  void close() noexcept;
  int read_ = -1;
  int write_ = -1;
};

class pipe_pool {
 public:
  static constexpr std::size_t default_pipe_bytes = 1024 * 1024;
  static constexpr std::size_t default_cap = 64;

  explicit pipe_pool(std::size_t cap = default_cap, std::size_t pipe_bytes = default_pipe_bytes)
      : cap_(cap), pipe_bytes_(pipe_bytes) {}

  // A pipe from the pool, or a new one. Error: why pipe2 failed (EMFILE, ...).
  expected<kernel_pipe, std::string> take();
  // Back into the pool when it is empty and the pool has room; closed otherwise.
  void give_back(kernel_pipe p) noexcept;

  std::size_t idle() const noexcept { return idle_.size(); }
  // The capacity of the pipes this pool makes (what F_SETPIPE_SZ gave; 0 before the first).
  std::size_t pipe_capacity() const noexcept { return capacity_; }

  static pipe_pool& for_this_thread();

 private:
  std::size_t cap_;
  std::size_t pipe_bytes_;
  std::size_t capacity_ = 0;
  std::vector<kernel_pipe> idle_;
};

}  // namespace vncgate::gateway
