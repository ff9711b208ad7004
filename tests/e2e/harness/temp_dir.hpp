// temp_dir.hpp — a private scratch directory for one test, removed when the test ends.
//
// Created with mkdtemp under $TMPDIR (or /tmp), mode 700, so the gateway's "secret files
// must not be group/world readable" checks see the modes the test gives each file.
// Set VNCGATE_E2E_KEEP=1 to keep the directories of a run for inspection (the path is
// printed on stderr). Not thread-safe; owned by one test.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace vncgate::e2e {

class temp_dir {
 public:
  temp_dir();  // throws std::runtime_error when the directory cannot be made
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // Writes `content` to path()/name (creating sub-directories) with `mode`; returns the path.
  std::filesystem::path write(std::string_view name, std::string_view content, mode_t mode = 0600) const;

 private:
  std::filesystem::path path_;
};

}  // namespace vncgate::e2e
