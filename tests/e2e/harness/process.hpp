// process.hpp — a child process an end-to-end test started, killed and reaped for sure.
//
// fork + execve with a prepared argv/envp (nothing but async-signal-safe calls in the
// child), stdin from a file or /dev/null, stdout and stderr to files. The child gets
// its own process group (so socat's forked children go with it) and PR_SET_PDEATHSIG,
// so a test binary killed by ctest's timeout does not leave servers behind.
// The destructor always terminates (TERM, then KILL after the grace period) and reaps.
// Blocking: terminate() and wait_for_exit() sleep-poll. Single-threaded use per object.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vncgate::e2e {

using namespace std::chrono_literals;

using env_list = std::vector<std::pair<std::string, std::string>>;

struct process_options {
  std::vector<std::string> argv{};        // argv[0] is looked up in PATH
  env_list env{};                         // set on top of this process's env
  std::vector<std::string> unset_env{};   // removed from the inherited env
  std::filesystem::path stdin_file{};     // empty: /dev/null
  std::filesystem::path stdout_file{};    // empty: /dev/null
  std::filesystem::path stderr_file{};    // empty: same file as stdout
  std::filesystem::path working_dir{};    // empty: inherited
};

class process {
 public:
  // Throws std::runtime_error when the program cannot be started (exec failure included).
  explicit process(process_options options);
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  process(process&& other) noexcept;
  process& operator=(process&& other) = delete;

  pid_t pid() const noexcept { return pid_; }
  const process_options& options() const noexcept { return options_; }

  // True while the child runs; reaps it (and remembers its status) once it has exited.
  bool alive();
  // The raw wait status once the child has been reaped.
  std::optional<int> wait_status() const noexcept { return status_; }
  // Waits up to `timeout` for the child to exit by itself.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  // Sends `sig` to the child's process group.
  void signal(int sig) noexcept;
  // TERM to the group, wait up to `grace`, then KILL; returns the wait status.
  int terminate(std::chrono::milliseconds grace = 5s) noexcept;

  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  process_options options_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Exit code of a wait status, or 128 + signal for a killed child.
int exit_code_of(int wait_status) noexcept;

struct run_result {
  int exit_code = -1;        // -1: timed out and was killed
  std::string out;
  std::string err;
};

// Runs a command to completion; stdout/stderr are captured through files in `scratch_dir`.
run_result run(process_options options, const std::filesystem::path& scratch_dir,
               std::chrono::milliseconds timeout = 30s);

// Reads a whole file; empty when it does not exist.
std::string read_text(const std::filesystem::path& path);

}  // namespace vncgate::e2e
