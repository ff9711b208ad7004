#include "harness/temp_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <system_error>

namespace vncgate::e2e {

temp_dir::temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/vncgate-e2e-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

temp_dir::~temp_dir() {
  const char* keep = std::getenv("VNCGATE_E2E_KEEP");
  if (keep && *keep && std::string_view(keep) != "0") {
    std::cerr << "e2e: keeping " << path_ << "\n";
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path temp_dir::write(std::string_view name, std::string_view content, mode_t mode) const {
  std::filesystem::path file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  // open + fchmod rather than ofstream: the mode must be right before any byte lands.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + file.string());
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) ok = false;
    else done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + file.string());
  return file;
}

}  // namespace vncgate::e2e
