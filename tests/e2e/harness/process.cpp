#include "harness/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace vncgate::e2e {
namespace {

std::string find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::istringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ':');) {
    if (dir.empty()) dir = ".";
    std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  throw std::runtime_error("program not found in PATH: " + name);
}

std::vector<std::string> build_env(const process_options& o) {
  auto overridden = [&](const std::string& entry) {
    std::string key = entry.substr(0, entry.find('='));
    for (const auto& k : o.unset_env)
      if (k == key) return true;
    for (const auto& [k, v] : o.env)
      if (k == key) return true;
    return false;
  };
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    if (!overridden(*e)) env.emplace_back(*e);
  for (const auto& [k, v] : o.env) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Only async-signal-safe calls from here until execve: the test binary may have threads.
[[noreturn]] void exec_child(const char* program, char* const* argv, char* const* envp,
                             const char* in, const char* out, const char* err,
                             const char* cwd, pid_t parent, int report_fd) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(127);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // The test process ignores SIGPIPE (raw_client.cpp); an ignored signal survives
  // execve, so without this the child would never meet a SIGPIPE it does not handle.
  ::signal(SIGPIPE, SIG_DFL);
  int fd = ::open(in, O_RDONLY);
  if (fd >= 0) ::dup2(fd, 0);
  fd = ::open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) ::dup2(fd, 1);
  if (err) {
    fd = ::open(err, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) ::dup2(fd, 2);
  } else {
    ::dup2(1, 2);
  }
  if (cwd && ::chdir(cwd) != 0) {
    int e = errno;
    (void)!::write(report_fd, &e, sizeof e);
    ::_exit(127);
  }
  ::execve(program, argv, envp);
  int e = errno;
  (void)!::write(report_fd, &e, sizeof e);
  ::_exit(127);
}

}  // namespace

process::process(process_options options) : options_(std::move(options)) {
  if (options_.argv.empty()) throw std::runtime_error("process: empty argv");
  std::string program = find_in_path(options_.argv.front());
  std::vector<std::string> argv_strings = options_.argv;
  std::vector<std::string> env_strings = build_env(options_);
  std::vector<char*> argv = c_strings(argv_strings);
  std::vector<char*> envp = c_strings(env_strings);
  std::string in = options_.stdin_file.empty() ? "/dev/null" : options_.stdin_file.string();
  std::string out = options_.stdout_file.empty() ? "/dev/null" : options_.stdout_file.string();
  std::string err = options_.stderr_file.string();
  std::string cwd = options_.working_dir.string();

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error("process: pipe2 failed");
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(report[0]);
    ::close(report[1]);
    throw std::runtime_error("process: fork failed");
  }
  if (pid == 0) {
    ::close(report[0]);
    exec_child(program.c_str(), argv.data(), envp.data(), in.c_str(), out.c_str(),
               err.empty() ? nullptr : err.c_str(), cwd.empty() ? nullptr : cwd.c_str(),
               parent, report[1]);
  }
  ::setpgid(pid, pid);  // also here, so signal() works before the child ran
  pid_ = pid;
  ::close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n > 0) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    status_ = status;
    pid_ = -1;
    throw std::runtime_error("cannot start " + program + ": " + std::strerror(child_errno));
  }
}

process::process(process&& other) noexcept
    : options_(std::move(other.options_)), pid_(other.pid_), status_(other.status_) {
  other.pid_ = -1;
}

process::~process() { terminate(); }

bool process::alive() {
  if (pid_ < 0 || status_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    return false;
  }
  return r == 0;
}

std::optional<int> process::wait_for_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (alive()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
  return status_;
}

void process::signal(int sig) noexcept {
  if (pid_ > 0 && !status_) ::kill(-pid_, sig);
}

int process::terminate(std::chrono::milliseconds grace) noexcept {
  if (pid_ < 0) return status_.value_or(0);
  if (alive()) {
    ::kill(-pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (alive() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    if (alive()) {
      ::kill(-pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      status_ = status;
    }
  }
  return status_.value_or(0);
}

std::string process::stdout_text() const { return read_text(options_.stdout_file); }

std::string process::stderr_text() const {
  return options_.stderr_file.empty() ? std::string() : read_text(options_.stderr_file);
}

int exit_code_of(int wait_status) noexcept {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

std::string read_text(const std::filesystem::path& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

run_result run(process_options options, const std::filesystem::path& scratch_dir,
               std::chrono::milliseconds timeout) {
  static std::atomic<int> counter{0};
  std::string stem = "run-" + std::to_string(++counter);
  options.stdout_file = scratch_dir / (stem + ".out");
  options.stderr_file = scratch_dir / (stem + ".err");
  std::filesystem::remove(options.stdout_file);
  std::filesystem::remove(options.stderr_file);
  run_result result;
  process child(std::move(options));
  if (auto status = child.wait_for_exit(timeout)) {
    result.exit_code = exit_code_of(*status);
  } else {
    child.terminate(1s);
    result.exit_code = -1;
  }
  result.out = child.stdout_text();
  result.err = child.stderr_text();
  return result;
}

}  // namespace vncgate::e2e
