// config_files_test.cpp — the files load_config reads besides the YAML it is given: the
// TLS certificate and key, upstream password files and the users file (each checked for
// content and permissions, errors inside the users file placed in that file), and the
// configuration file itself when it is missing, empty, not YAML, or hostile to the parser.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config_test_support.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;

TEST_CASE("TLS certificate and key", "[config]") {
  config_dir d;
  const auto file = d.path("vncgate.yaml");
  const std::string text = tls_ok + rest_without("tls");
  SECTION("key readable by the group") {
    fs::permissions(d.path("key.pem"), static_cast<fs::perms>(0640));
    const auto errors = d.errors(text);
    expect_error(errors, 3, 16, "chmod 600", file);
    expect_error(errors, 3, 16, d.path("key.pem").string(), file);
  }
  SECTION("key of another certificate") {
    d.write("key.pem", material().other_key, 0600);
    expect_error(d.errors(text), 3, 16,
                 "private key " + d.path("key.pem").string() + " does not match certificate " +
                     d.path("cert.pem").string(),
                 file);
  }
  SECTION("certificate is not PEM") {
    d.write("cert.pem", "not a certificate\n");
    expect_error(d.errors(text), 2, 16, "no PEM certificate found in " + d.path("cert.pem").string(), file);
  }
  SECTION("certificate file is a key") {
    d.write("cert.pem", material().key);
    expect_error(d.errors(text), 2, 16, "no PEM certificate found", file);
  }
  SECTION("certificate missing") {
    fs::remove(d.path("cert.pem"));
    const auto errors = d.errors(text);
    expect_error(errors, 2, 16, "cannot read certificate " + d.path("cert.pem").string(), file);
    expect_error(errors, 2, 16, "No such file or directory", file);
  }
  SECTION("key is not PEM") {
    d.write("key.pem", material().cert, 0600);
    expect_error(d.errors(text), 3, 16, "no PEM private key found in " + d.path("key.pem").string(), file);
  }
  SECTION("encrypted key is refused without prompting") {
    std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(material().key.data(), -1), BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    REQUIRE(key);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
    unsigned char pass[] = "passphrase";
    REQUIRE(PEM_write_bio_PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), pass, 10, nullptr, nullptr) == 1);
    char* data = nullptr;
    const long n = BIO_get_mem_data(out.get(), &data);
    d.write("key.pem", std::string_view(data, static_cast<std::size_t>(n)), 0600);
    expect_error(d.errors(text), 3, 16, "encrypted keys are not supported", file);
  }
}

TEST_CASE("upstream password files", "[config]") {
  config_dir d;
  const auto file = d.path("vncgate.yaml");
  const std::string text = yaml(R"(
targets:
  - name: only
    host: localhost
    port: 5901
    password_file: secrets/only
    allow: { users: [alice] }
)") + rest_without("targets");
  SECTION("readable by others") {
    d.write("secrets/only", "pw\n", 0644);
    const auto errors = d.errors(text);
    expect_error(errors, 5, 20, "chmod 600", file);
    expect_error(errors, 5, 20, d.path("secrets/only").string(), file);
  }
  SECTION("missing") {
    expect_error(d.errors(text), 5, 20, d.path("secrets/only").string(), file);
  }
  SECTION("empty") {
    d.write("secrets/only", "\n", 0600);
    expect_error(d.errors(text), 5, 20, "empty", file);
  }
  SECTION("binary vncpasswd file with both passwords") {
    // `vncpasswd -f` of "secret", twice (full and view-only).
    const unsigned char bytes[] = {0x2e, 0x2d, 0xbf, 0x57, 0x6e, 0xb0, 0x6c, 0x9e,
                                   0x2e, 0x2d, 0xbf, 0x57, 0x6e, 0xb0, 0x6c, 0x9e};
    d.write("secrets/only", std::string_view(reinterpret_cast<const char*>(bytes), 16), 0600);
    const auto result = d.load(text);
    if (!result) FAIL(dump(result.error()));
    CHECK(result->targets.at(0).password == "secret");
  }
  SECTION("text with CRLF") {
    d.write("secrets/only", "pa ss\r\nsecond line\n", 0600);
    const auto result = d.load(text);
    if (!result) FAIL(dump(result.error()));
    CHECK(result->targets.at(0).password == "pa ss");
  }
}

TEST_CASE("users file", "[config]") {
  config_dir d;
  const auto file = d.path("vncgate.yaml");
  const auto users = d.path("users.yaml");
  const std::string text = "auth:\n  backend: file\n  users_file: users.yaml\n" + rest_without("auth");
  SECTION("errors inside carry the users file's name and position") {
    const auto r = GENERATE(values<refusal>({
        {"four errors at once", yaml(R"(
users:
  alice:
    password_hash: "$1$abc$xyz"
    groups: [designers]
  bob:
    groups: admins
    pasword_hash: x
)"),
         {{3, 20, "unsupported password hash for alice: use `vncgate hash-password`"},
          {6, 13, "expected a list of strings for groups"},
          {7, 5,
           "unknown key 'pasword_hash' in user 'bob'; expected one of: password_hash, groups; "
           "did you mean 'password_hash'?"},
          {6, 5, "user 'bob' is missing 'password_hash'"}},
         4},
        {"empty file", "", {{0, 0, "the users file is empty"}}},
        {"no users", "users: {}\n", {{1, 8, "users is empty"}}},
        {"users is not a mapping", "users: [alice]\n", {{1, 8, "expected a mapping of user names for users"}}},
        {"unknown top-level key and missing users", "user:\n  alice: {}\n",
         {{1, 1, "unknown key 'user' in the users file; expected one of: users; did you mean 'users'?"},
          {1, 1, "the users file is missing 'users'"}}},
        {"duplicate user",
         "users:\n  alice:\n    password_hash: '" + sha512_hash + "'\n  alice:\n    password_hash: '" + sha512_hash +
             "'\n",
         {{4, 3, "duplicate user 'alice'"}}},
    }));
    d.write("users.yaml", r.text, 0600);
    expect_errors(d.errors(text), r, users);
  }
  SECTION("hashes that only look right are refused") {
    const std::string hash = GENERATE(
        "$6$salt$short", "$y$j9T$salt$", "plain-text-password", "$2b$10$abc",
        "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO");
    d.write("users.yaml", "users:\n  alice:\n    password_hash: '" + hash + "'\n", 0600);
    expect_error(d.errors(text), 3, 20, "unsupported password hash for alice", users);
  }
  SECTION("readable by others: reported in the main file at users_file") {
    d.write("users.yaml", "users:\n  alice:\n    password_hash: '" + sha512_hash + "'\n", 0644);
    const auto errors = d.errors(text);
    expect_error(errors, 3, 15, "chmod 600", file);
    expect_error(errors, 3, 15, users.string(), file);
  }
  SECTION("missing") {
    expect_error(d.errors(text), 3, 15, users.string(), file);
  }
  SECTION("syntax error") {
    d.write("users.yaml", "users:\n  alice:\n    password_hash: abc\n      groups: [a]\n", 0600);
    const auto errors = d.errors(text);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].file == users.string());
    CHECK(errors[0].line == 4);
    CHECK(errors[0].column == 13);
  }
  SECTION("main file errors come before users file errors") {
    d.write("users.yaml", "users: {}\n", 0600);
    const auto errors = d.errors(text + "workers: x\n");
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].file == file.string());
    CHECK(errors[1].file == users.string());
  }
}

TEST_CASE("YAML syntax errors are placed where the parser stopped", "[config]") {
  config_dir d;
  const auto errors = d.errors("tls:\n  certificate: cert.pem\n    private_key: key.pem\n" + rest_without("tls"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].file == d.path("vncgate.yaml").string());
  CHECK(errors[0].line == 3);
  CHECK(errors[0].column == 16);  // the ':' that cannot start a mapping there
  CHECK(errors[0].message == "illegal map value");
}

TEST_CASE("unreadable and empty configuration files", "[config]") {
  config_dir d;
  SECTION("missing") {
    const auto path = d.path("nope.yaml");
    const auto result = load_config(path);
    REQUIRE_FALSE(result);
    REQUIRE(result.error().size() == 1);
    CHECK(result.error()[0].file == path.string());
    CHECK(result.error()[0].line == 0);
    CHECK(result.error()[0].message.find("No such file or directory") != std::string::npos);
  }
  SECTION("a directory") {
    const auto result = load_config(d.path(""));
    REQUIRE_FALSE(result);
    CHECK(result.error().at(0).line == 0);
  }
  SECTION("refused where the text says") {
    check_refusal(d, GENERATE(values<refusal>({
                         {"empty", "", {{0, 0, "the configuration file is empty"}}},
                         {"comments only", "# nothing\n", {{0, 0, "the configuration file is empty"}}},
                         {"not a mapping", "- a\n- b\n", {{1, 1, "expected a mapping for the configuration"}}},
                         {"two documents", rest_without("") + "---\nworkers: 1\n",
                          {{15, 1, "only one YAML document is allowed"}}},
                     })));
  }
}

TEST_CASE("nothing thrown escapes load_config", "[config]") {
  const std::string text = GENERATE(std::string("\x00\x01\xff\xfe", 4), std::string("["), std::string("{"),
                                    std::string("- - -"), std::string("*a"), std::string("&a [*a, *a]"),
                                    std::string("listeners: &l\n  - *l\n"), std::string(20000, '['),
                                    std::string(20000, '{'), std::string("? [a, b]\n: c\n"),
                                    std::string("listeners:\n  - ? [a]\n    : b\n"), std::string("\t\t: :"),
                                    std::string("targets: [&t {name: x}, *t, *t]\n"));
  config_dir d;
  d.write("vncgate.yaml", text);
  std::optional<load_result> result;
  REQUIRE_NOTHROW(result.emplace(load_config(d.path("vncgate.yaml"))));
  REQUIRE_FALSE(*result);
  CHECK_FALSE(result->error().empty());
  for (const auto& e : result->error()) CHECK(e.file == d.path("vncgate.yaml").string());
}
