// image_test.cpp — the container image, run the way docs/deployment.md tells users to
// run it: podman, read-only root filesystem, uid 10001, no capabilities, configuration
// and secrets mounted read-only, the VNC and admin ports published on 127.0.0.1. Its
// HEALTHCHECK must turn healthy, a real VNC client (libvncclient) must get the desktop
// of a real Xvnc on the host through it, the audit trail must be on the container's
// stdout (nothing else there) and the log on its stderr, and `podman stop` (SIGTERM)
// must drain it to exit 0.
//
// The image is made by build_test_image.sh (ctest fixture vncgate_image) from this
// build's binary. The container reaches the host's loopback through slirp4netns
// (allow_host_loopback: the host's 127.0.0.1 is 10.0.2.2 inside), so Xvnc listens on
// loopback only, as in the other end-to-end tests.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/audit_trail.hpp"
#include "harness/certs.hpp"
#include "harness/diagnostics.hpp"
#include "harness/http_get.hpp"
#include "harness/loopback.hpp"
#include "harness/process.hpp"
#include "harness/temp_dir.hpp"
#include "harness/vnc_client.hpp"
#include "harness/xvnc.hpp"

using namespace vncgate::e2e;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string image = VNCGATE_TEST_IMAGE;
constexpr uid_t image_uid = 10001;

// This machine's podman needs runc and ulimits within the host's hard limits; see
// build_test_image.sh, which uses the same values.
run_result podman(const temp_dir& dir, std::vector<std::string> args, std::chrono::milliseconds timeout = 60s,
                  const fs::path& stdin_file = {}) {
  args.insert(args.begin(), {"podman", "--runtime", "runc"});
  return run({.argv = std::move(args), .stdin_file = stdin_file}, dir.path(), timeout);
}

// `podman run` with the ulimits, then `rest`.
std::vector<std::string> run_args(std::initializer_list<std::string> rest) {
  std::vector<std::string> args{"run", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"};
  args.insert(args.end(), rest);
  return args;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Owned by the image's user, as a Kubernetes fsGroup or `chown 10001` on the host makes
// them: secret files must be mode 0600 and readable by the gateway's own uid.
void give_to_image_user(const fs::path& root) {
  REQUIRE(::chown(root.c_str(), image_uid, image_uid) == 0);
  for (const auto& entry : fs::recursive_directory_iterator(root))
    REQUIRE(::chown(entry.path().c_str(), image_uid, image_uid) == 0);
}

// A field of /proc/PID/status ("Uid", "CapEff", ...), without the name.
std::string status_field(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) {
      auto value = line.substr(field.size() + 1);
      return trim(value.substr(std::min(value.find_first_not_of(" \t"), value.size())));
    }
  return {};
}

// Removes the container whatever happens to the test.
struct container_guard {
  const temp_dir& dir;
  std::string name;
  ~container_guard() { podman(dir, {"rm", "--force", "--time", "2", name}); }
};

}  // namespace

TEST_CASE("the image: non-root, healthcheck, entrypoint and the runtime libraries only", "[image]") {
  temp_dir dir;
  auto inspect = podman(dir, {"image", "inspect", image});
  INFO(inspect.err);
  REQUIRE(inspect.exit_code == 0);
  auto all = json::parse(inspect.out).as_array();
  REQUIRE(all.size() == 1);
  const auto& img = all[0].as_object();
  const auto& cfg = img.at("Config").as_object();

  CHECK(json::value_to<std::string>(cfg.at("User")) == "10001:10001");
  CHECK(cfg.at("Entrypoint") == json::parse(R"(["/usr/sbin/vncgate"])"));
  CHECK(cfg.at("Cmd") == json::parse(R"(["--config", "/etc/vncgate/vncgate.yaml"])"));
  CHECK(json::value_to<std::string>(cfg.at("StopSignal")) == "SIGTERM");
  CHECK(cfg.at("ExposedPorts").as_object().contains("5900/tcp"));
  CHECK(cfg.at("ExposedPorts").as_object().contains("9900/tcp"));
  const auto& labels = cfg.at("Labels").as_object();
  CHECK(json::value_to<std::string>(labels.at("org.opencontainers.image.title")) == "vncgate");
  CHECK(json::value_to<std::string>(labels.at("org.opencontainers.image.version")) == VNCGATE_VERSION);
  // Kept only in the docker format (--format docker): the OCI format drops it.
  REQUIRE(img.contains("Healthcheck"));
  CHECK(img.at("Healthcheck").at("Test") == json::parse(R"(["CMD", "/usr/libexec/vncgate/healthcheck"])"));

  // The entrypoint runs as uid 10001 and finds every library it links.
  auto version = podman(dir, run_args({"--rm", "--network", "none", image, "--version"}));
  INFO(version.err);
  CHECK(version.exit_code == 0);
  CHECK(version.out.find(std::string("vncgate ") + VNCGATE_VERSION) != std::string::npos);

  // No compiler, headers or build tree came along: the runtime stage is its own.
  auto tools = podman(dir, run_args({"--rm", "--network", "none", "--entrypoint", "/bin/bash", image, "-c",
                                      "id -u; id -g; for f in /usr/bin/c++ /usr/bin/cmake /usr/include/boost /src /build; do "
                                      "[[ -e $f ]] && echo present: $f; done; true"}));
  INFO(tools.err);
  CHECK(tools.exit_code == 0);
  CHECK(tools.out == "10001\n10001\n");
  auto size = img.at("Size").to_number<double>();
  INFO("image size " << size / 1e6 << " MB");
  CHECK(size < 150e6);  // build dependencies would add some 500 MB
}

TEST_CASE("a session through the container: read-only, uid 10001, audit on stdout, drained by SIGTERM", "[image]") {
  temp_dir dir;
  xvnc_server desk(dir, {.password = "vncpass1", .width = 320, .height = 240, .root_colour = "#ff8000"});

  // /etc/vncgate as the container sees it: the config, tls/ and secrets/, each mounted.
  const fs::path etc = dir / "etc";
  auto tls = make_certs(dir, "etc/tls");
  const std::string alice_password = "alice-pw-1";
  const std::string admin_token(40, 'k');
  auto hash_in = dir.write("hash.in", alice_password + "\n");
  auto hashed = podman(dir, run_args({"--rm", "--interactive", "--network", "none", image, "hash-password"}), 60s, hash_in);
  INFO(hashed.err);
  REQUIRE(hashed.exit_code == 0);
  const std::string hash = trim(hashed.out);
  REQUIRE(hash.rfind("$", 0) == 0);
  dir.write("etc/secrets/users.yaml", "users:\n  alice:\n    password_hash: \"" + hash + "\"\n");
  dir.write("etc/secrets/desk", read_text(desk.password_file()));
  dir.write("etc/secrets/admin-token", admin_token + "\n");
  dir.write("etc/vncgate.yaml",
            "# written by tests/deploy/image_test.cpp: the layout docs/deployment.md describes\n"
            "listeners:\n"
            "  - address: 0.0.0.0:5900\n"
            "    security: vencrypt\n"
            "tls:\n"
            "  certificate: /etc/vncgate/tls/cert.pem\n"
            "  private_key: /etc/vncgate/tls/key.pem\n"
            "auth:\n"
            "  backend: file\n"
            "  users_file: /etc/vncgate/secrets/users.yaml\n"
            "targets:\n"
            "  - name: desk\n"
            "    host: 10.0.2.2\n"
            "    port: " + std::to_string(desk.port()) + "\n"
            "    password_file: /etc/vncgate/secrets/desk\n"
            "    allow: { users: [alice] }\n"
            "audit:\n"
            "  - { type: stdout }\n"
            "metrics:\n"
            "  address: 0.0.0.0:9900\n"
            "  admin_token_file: /etc/vncgate/secrets/admin-token\n",
            0644);
  fs::permissions(etc / "tls", fs::perms::owner_all);
  fs::permissions(etc / "secrets", fs::perms::owner_all);
  give_to_image_user(etc);

  const std::uint16_t vnc_port = free_tcp_port();
  std::uint16_t admin_port = free_tcp_port();
  while (admin_port == vnc_port) admin_port = free_tcp_port();
  const std::string name = "vncgate-image-test-" + std::to_string(::getpid());
  container_guard guard{dir, name};
  const fs::path out = dir / "container.out";
  const fs::path err = dir / "container.err";
  std::vector<std::string> argv{"podman", "--runtime", "runc"};
  for (const auto& arg : run_args(
           {"--rm", "--name", name, "--read-only", "--read-only-tmpfs=false", "--cap-drop=ALL",
            "--security-opt=no-new-privileges", "--network", "slirp4netns:allow_host_loopback=true",
            "--publish", "127.0.0.1:" + std::to_string(vnc_port) + ":5900",
            "--publish", "127.0.0.1:" + std::to_string(admin_port) + ":9900",
            "--volume", (etc / "vncgate.yaml").string() + ":/etc/vncgate/vncgate.yaml:ro",
            "--volume", (etc / "tls").string() + ":/etc/vncgate/tls:ro",
            "--volume", (etc / "secrets").string() + ":/etc/vncgate/secrets:ro", image}))
    argv.push_back(arg);
  process container({.argv = argv, .stdout_file = out, .stderr_file = err});
  audit_trail audit(out);
  diagnostic_source report{"container", [&] {
    return "stderr:\n" + read_text(err) + "\nstdout (audit):\n" + read_text(out);
  }};

  // The image's own HEALTHCHECK (GET /healthz from inside) turns healthy.
  bool healthy = wait_until([&] { return container.alive() && podman(dir, {"healthcheck", "run", name}, 10s).exit_code == 0; },
                            60s);
  REQUIRE(container.alive());
  REQUIRE(healthy);
  CHECK(trim(podman(dir, {"inspect", "--format", "{{.State.Health.Status}}", name}).out) == "healthy");

  // The gateway runs as 10001 without capabilities, on a root filesystem nobody can write.
  auto pid_text = trim(podman(dir, {"inspect", "--format", "{{.State.Pid}}", name}).out);
  const pid_t pid = std::stoi(pid_text);
  CHECK(status_field(pid, "Uid") == "10001\t10001\t10001\t10001");
  CHECK(status_field(pid, "Gid") == "10001\t10001\t10001\t10001");
  CHECK(status_field(pid, "CapEff") == "0000000000000000");
  CHECK(status_field(pid, "NoNewPrivs") == "1");
  CHECK(trim(podman(dir, {"inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", name}).out) == "true");
  auto write_probe = podman(dir, {"exec", "--user", "0", name, "/bin/bash", "-c", "echo x > /etc/vncgate/probe"});
  CHECK(write_probe.exit_code != 0);
  CHECK(write_probe.err.find("Read-only file system") != std::string::npos);

  // The admin listener through its published port.
  auto ready = http_get(admin_port, "/readyz");
  CHECK(ready.status == 200);
  auto metrics = http_get(admin_port, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("vncgate_build_info") != std::string::npos);

  // A real client through the published VNC port gets the host's desktop.
  auto session = vnc_connect(vnc_port, {.user = "alice", .password = alice_password, .ca_file = tls.certificate});
  INFO("client: " << session.log_text());
  REQUIRE(session.connected);
  REQUIRE(session.full_frame);
  CHECK(session.width == 320);
  CHECK(session.height == 240);
  CHECK(session.vencrypt_subtype == 262);  // X509Plain: TLS, checked against the mounted certificate
  CHECK(session.pixel(0, 0) == std::array<std::uint8_t, 3>{0xff, 0x80, 0x00});
  CHECK(session.pixel(319, 239) == std::array<std::uint8_t, 3>{0xff, 0x80, 0x00});

  // ... and the container's stdout has the session, start to end.
  auto end = audit.wait_for([](const audit_event& e) { return is_event(e, "session_end"); }, 10s);
  REQUIRE(end);
  CHECK(text_of(*end, "outcome") == "ok");
  CHECK(text_of(*end, "user") == "alice");
  CHECK(text_of(*end, "target") == "desk");
  CHECK(number_of(*end, "bytes_to_client").value_or(0) > 320.0 * 240 * 4);
  auto start = audit.wait_for([](const audit_event& e) { return is_event(e, "session_start"); });
  REQUIRE(start);
  CHECK(text_of(*start, "target_address") == "10.0.2.2:" + std::to_string(desk.port()));
  auto auth = audit.wait_for([](const audit_event& e) { return is_event(e, "auth"); });
  REQUIRE(auth);
  CHECK(text_of(*auth, "result") == "success");

  // SIGTERM (podman stop) drains: exit 0, gateway_stopped last, the audit whole on stdout
  // and nothing but the audit there, the log on stderr.
  auto stopped = podman(dir, {"stop", "--time", "20", name}, 40s);
  INFO(stopped.err);
  CHECK(stopped.exit_code == 0);
  auto status = container.wait_for_exit(30s);
  REQUIRE(status);
  CHECK(exit_code_of(*status) == 0);
  auto events = audit.settled_events();
  REQUIRE_FALSE(events.empty());
  CHECK(is_event(events.back(), "gateway_stopped"));
  CHECK(flag_of(events.back(), "clean") == true);
  CHECK(audit.malformed_lines().empty());
  const std::string log = read_text(err);
  CHECK(log.find("ready") != std::string::npos);
  for (const auto& secret : {alice_password, std::string("vncpass1"), admin_token}) {
    CHECK(audit.raw().find(secret) == std::string::npos);
    CHECK(log.find(secret) == std::string::npos);
  }
}
