// pipe_pool.cpp — see pipe_pool.hpp.
#include "gateway/pipe_pool.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace vncgate::gateway {

kernel_pipe::kernel_pipe(kernel_pipe&& other) noexcept
    : read_(std::exchange(other.read_, -1)), write_(std::exchange(other.write_, -1)) {}

kernel_pipe& kernel_pipe::operator=(kernel_pipe&& other) noexcept {
  if (this != &other) {
    close();
    read_ = std::exchange(other.read_, -1);
    write_ = std::exchange(other.write_, -1);
  }
  return *this;
}

kernel_pipe::~kernel_pipe() { close(); }

void kernel_pipe::close() noexcept {
  if (read_ >= 0) ::close(read_);
  if (write_ >= 0) ::close(write_);
  read_ = write_ = -1;
}

std::size_t kernel_pipe::pending() const noexcept {
  int n = 0;
  if (read_ < 0 || ::ioctl(read_, FIONREAD, &n) != 0 || n < 0) return 0;
  return static_cast<std::size_t>(n);
}

expected<kernel_pipe, std::string> pipe_pool::take() {
  if (!idle_.empty()) {
    kernel_pipe p = std::move(idle_.back());
    idle_.pop_back();
    return p;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return unexpected(std::string("pipe2: ") + std::strerror(errno));
  kernel_pipe p(fds[0], fds[1]);
  // Larger pipes move a framebuffer update in fewer splices; the kernel may refuse the
  // size (fs.pipe-max-size, or the user's pipe quota), then the default stays.
  int got = ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(pipe_bytes_));
  if (got < 0) got = ::fcntl(fds[1], F_GETPIPE_SZ);
  if (got > 0) capacity_ = static_cast<std::size_t>(got);
  return p;
}

void pipe_pool::give_back(kernel_pipe p) noexcept {
  if (!p || p.pending() > 0 || idle_.size() >= cap_) return;  // closed by p's destructor
  try {
    idle_.push_back(std::move(p));
  } catch (...) {
    // Out of memory: the pipe is closed instead.
  }
}

pipe_pool& pipe_pool::for_this_thread() {
  thread_local pipe_pool pool;
  return pool;
}

}  // namespace vncgate::gateway
