// cli_test.cpp — the command line: --version, hash-password, check-config (every error
// as file:line:col, exit 1; "configuration OK", exit 0), and start-up refusals for
// secrets other users could read.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "harness/loopback.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

run_result run_vncgate(const temp_dir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), vncgate_binary().string());
  return run({.argv = args}, dir.path(), 20s);
}

std::filesystem::path write_good_config(const temp_dir& dir, const certs& tls) {
  gateway_options o{.users = {alice}, .targets = {target_spec{.name = "desk", .port = 5999, .password = vnc_password,
                                                              .allow_users = {"alice"}}}};
  return write_gateway_config(dir, dir.path() / "gw", tls, o, {free_tcp_port()});
}

}  // namespace

TEST_CASE("vncgate --version prints the project version", "[e2e][cli]") {
  temp_dir dir;
  auto r = run_vncgate(dir, {"--version"});
  CHECK(r.exit_code == 0);
  CHECK((r.out + r.err).find(VNCGATE_VERSION) != std::string::npos);
}

TEST_CASE("vncgate hash-password prints a salted crypt(3) hash", "[e2e][cli]") {
  temp_dir dir;
  auto first = hash_password(dir, "correct horse");
  CHECK(first.starts_with("$y$"));
  auto input = dir.write("pw.in", "correct horse\n");
  auto again = run({.argv = {vncgate_binary().string(), "hash-password"}, .stdin_file = input}, dir.path());
  CHECK(again.exit_code == 0);
  CHECK(again.out.starts_with("$y$"));
  CHECK(again.out.find(first) == std::string::npos);  // a fresh salt every time
  CHECK((again.out + again.err).find("correct horse") == std::string::npos);
}

TEST_CASE("check-config accepts a good file", "[e2e][cli]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  auto config = write_good_config(dir, tls);
  auto r = run_vncgate(dir, {"check-config", config.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK((r.out + r.err).find("configuration OK") != std::string::npos);
}

TEST_CASE("check-config prints every error as file:line:col and exits 1", "[e2e][cli]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  auto good = write_good_config(dir, tls);  // for the users file and certificate paths
  auto users = dir.path() / "gw" / "users.yaml";
  auto broken = dir.write("broken.yaml",
                          "listeners:\n"
                          "  - address: 127.0.0.1:5999\n"
                          "    security: carrier-pigeon\n"
                          "    colour: blue\n"
                          "tls:\n"
                          "  certificate: " + tls.certificate.string() + "\n"
                          "  private_key: " + tls.private_key.string() + "\n"
                          "auth:\n"
                          "  backend: file\n"
                          "  users_file: " + users.string() + "\n"
                          "targets:\n"
                          "  - name: desk\n"
                          "    host: 127.0.0.1\n"
                          "    port: 5999\n"
                          "    allow: { users: [alice] }\n");
  auto r = run_vncgate(dir, {"check-config", broken.string()});
  std::string text = r.out + r.err;
  INFO(text);
  CHECK(r.exit_code == 1);
  CHECK(text.find("broken.yaml:3:15: ") != std::string::npos);  // the bad value
  CHECK(text.find("broken.yaml:4:5: ") != std::string::npos);   // the unknown key
  CHECK(text.find("configuration OK") == std::string::npos);

  auto syntax = dir.write("syntax.yaml", "listeners:\n  - address: [127.0.0.1\n    security: vencrypt\n");
  auto s = run_vncgate(dir, {"check-config", syntax.string()});
  INFO(s.out << s.err);
  CHECK(s.exit_code == 1);
  CHECK((s.out + s.err).find("syntax.yaml:") != std::string::npos);

  auto missing = run_vncgate(dir, {"check-config", (dir / "nope.yaml").string()});
  CHECK(missing.exit_code == 1);
  CHECK((missing.out + missing.err).find("nope.yaml") != std::string::npos);
}

TEST_CASE("the gateway refuses to start with secrets other users can read", "[e2e][cli]") {
  std::string which = GENERATE(as<std::string>{}, "tls/key.pem", "gw/users.yaml", "gw/secrets/desk.pass");
  temp_dir dir;
  auto tls = make_certs(dir);
  auto config = write_good_config(dir, tls);
  auto exposed = dir / which;
  INFO("readable: " << exposed);
  REQUIRE(::chmod(exposed.c_str(), 0644) == 0);
  auto check = run_vncgate(dir, {"check-config", config.string()});
  CHECK(check.exit_code == 1);
  CHECK((check.out + check.err).find(exposed.string()) != std::string::npos);
  auto start = run_vncgate(dir, {"--config", config.string()});
  CHECK(start.exit_code != 0);
  CHECK(start.exit_code != -1);  // it exits by itself instead of running
  CHECK(start.err.find(exposed.filename().string()) != std::string::npos);
}

TEST_CASE("the gateway exits non-zero on a config it cannot load", "[e2e][cli]") {
  temp_dir dir;
  auto missing = run_vncgate(dir, {"--config", (dir / "missing.yaml").string()});
  CHECK(missing.exit_code != 0);
  CHECK(missing.exit_code != -1);
  CHECK(missing.err.find("missing.yaml") != std::string::npos);
}
