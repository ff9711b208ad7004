// auth_test.cpp — password hashes, the users-file backend and secret files. [auth]
//
// Golden hashes were made outside this code: "$6$" with `openssl passwd -6 -salt ...`
// and `mkpasswd -m sha512crypt`, "$y$" with `mkpasswd -m yescrypt` (Debian's whois
// package), VNC password bytes with `printf 'secret\n' | vncpasswd -f | xxd -i`.
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "auth/file_backend.hpp"
#include "auth/password_hash.hpp"
#include "auth/secret_file.hpp"

namespace fs = std::filesystem;
using namespace vncgate::auth;

namespace {

struct golden_hash {
  const char* hash;
  std::string password;
};

// openssl passwd -6 -salt vncgateSalt1234 'correct horse'
const char* const sha512_correct_horse =
    "$6$vncgateSalt1234$ZpI1R.TOBxqii5ZoXvCEKBq0213r/CbcyDhVzLk1bhTAWDNyUXGyZ6jCWE542Qfldd6JhIRTV0bwd3SZOe1YG.";
// mkpasswd -m yescrypt 'correct horse'
const char* const yescrypt_correct_horse = "$y$j9T$psgPTQB6aktsviX6IO/fH.$dpOtUBaRpptN111FcTpy5mcCgm0zMw6qeEbJEeM5cQ1";
// mkpasswd -m sha512crypt -R 10000 -S roundsalt tango
const char* const sha512_rounds_tango =
    "$6$rounds=10000$roundsalt$awZ3hr9bAPhs73o8MVu86LuQv4FyTq.NpFSJpOraBDEg6wO3kCow.lXfYlGrW7FoPkLRiEipYxDl9F8U9fRp4/";

golden_hash golden_hashes[] = {
    {sha512_correct_horse, "correct horse"},
    {yescrypt_correct_horse, "correct horse"},
    // mkpasswd -m yescrypt -R 7 'p@ss wörd' (UTF-8)
    {"$y$jBT$27nKff3Et9GH6E3IHNPcO1$ipa2epaSanXvu.PYx1jpTpy/8aGRBr1m6VOE1rSGav1", "p@ss w\xc3\xb6rd"},
    // mkpasswd -m sha512crypt -R 5000 -S abcdefgh tango
    {"$6$rounds=5000$abcdefgh$zJtYoYqaZ84mB.8K8SRP6R6zq7g6k3ywdUA1PBqFuA8XHF2qXZdX/Z2h0Hk5goo/wlx2M/Wx3j7eRjWmyStmw0",
     "tango"},
    {sha512_rounds_tango, "tango"},
};

// A fresh directory, removed with everything in it when the test ends.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "vncgate-auth-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

  fs::path write(const std::string& name, const std::string& content, fs::perms mode) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    fs::permissions(p, mode, fs::perm_options::replace);
    return p;
  }

 private:
  fs::path path_;
};

constexpr auto owner_rw = fs::perms::owner_read | fs::perms::owner_write;

}  // namespace

// ---- password hashes -------------------------------------------------------------

TEST_CASE("hash_password makes a yescrypt hash that verifies only its password", "[auth]") {
  const auto hash = hash_password("s3cret pass");
  REQUIRE(hash.has_value());
  CHECK(hash->rfind("$y$", 0) == 0);
  CHECK(is_supported_hash(*hash));
  CHECK(verify_password("s3cret pass", *hash));
  CHECK_FALSE(verify_password("s3cret pas", *hash));
  CHECK_FALSE(verify_password("s3cret pass ", *hash));
  CHECK_FALSE(verify_password("S3cret pass", *hash));
  CHECK_FALSE(verify_password("", *hash));

  const auto again = hash_password("s3cret pass");
  REQUIRE(again.has_value());
  CHECK(*again != *hash);  // a fresh random salt each time
  CHECK(verify_password("s3cret pass", *again));
}

TEST_CASE("hash_password of the empty password still round-trips", "[auth]") {
  const auto hash = hash_password("");
  REQUIRE(hash.has_value());
  CHECK(verify_password("", *hash));
  CHECK_FALSE(verify_password(" ", *hash));
}

TEST_CASE("hashes made by openssl and mkpasswd verify", "[auth]") {
  const auto& g = GENERATE(from_range(std::begin(golden_hashes), std::end(golden_hashes)));
  CAPTURE(g.hash);
  const std::string hash = g.hash;
  CHECK(is_supported_hash(hash));
  CHECK(verify_password(g.password, hash));
  CHECK_FALSE(verify_password(g.password + "x", hash));
  CHECK_FALSE(verify_password(g.password.substr(0, g.password.size() - 1), hash));
  CHECK_FALSE(verify_password("", hash));

  std::string tampered = hash;  // the last character of the digest changed
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(verify_password(g.password, tampered));
}

TEST_CASE("a password with a NUL byte never matches its prefix's hash", "[auth]") {
  // crypt(3) takes a C string: without a check, "correct horse\0anything" would pass.
  const std::string with_nul("correct horse\0anything", 22);
  CHECK_FALSE(verify_password(with_nul, sha512_correct_horse));
  CHECK_FALSE(verify_password(with_nul, yescrypt_correct_horse));
  CHECK_FALSE(hash_password(with_nul).has_value());
}

TEST_CASE("unsupported or malformed hashes are refused", "[auth]") {
  const std::string hash = GENERATE(as<std::string>{},
      "",                                                  // no password at all
      "*",                                                 // locked
      "!",                                                 // locked
      "!!",                                                // locked (shadow default)
      "abNANd1rDfiNc",                                     // DES crypt of "secret"
      "$1$AhE4rsvL$4jiUjmsZrESykAM7AWtYh0",                // MD5 crypt of "secret"
      "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA",             // SHA-256 crypt
      "$2b$05$9UKTjOcFCe5bDxTO5.V9TOj74qTr4.U/gk03lWqFKXop2GK3UWiSi",        // bcrypt
      "!$y$j9T$psgPTQB6aktsviX6IO/fH.$dpOtUBaRpptN111FcTpy5mcCgm0zMw6qeEbJEeM5cQ1",  // locked copy
      "$y$",
      "$y$j9T$psgPTQB6aktsviX6IO/fH.",                     // a setting, no digest
      "$y$j9T$psgPTQB6aktsviX6IO/fH.$dpOtUBaRpptN111FcTpy5mcCgm0zMw6qeEbJEeM5cQ",    // digest short
      "$y$j9T$psgPTQB6aktsviX6IO/fH.$dpOtUBaRpptN111FcTpy5mcCgm0zMw6qeEbJEeM5cQ1x",  // digest long
      "$y$$psgPTQB6aktsviX6IO/fH.$dpOtUBaRpptN111FcTpy5mcCgm0zMw6qeEbJEeM5cQ1",      // no params
      "$y$j9T$psgPTQB6aktsviX6IO/fH.$dpOtUBaRpptN111FcTpy5mcCgm0zMw6qeEbJEeM5c:1",   // bad character
      "$6$",
      "$6$vncgateSalt1234$ZpI1R.TOBxqii5ZoXvCEKBq0213r/CbcyDhVzLk1bhTAWDNyUXGyZ6jCWE542Qfldd6JhIRTV0bwd3SZOe1YG",
      "$6$rounds=$roundsalt$awZ3hr9bAPhs73o8MVu86LuQv4FyTq.NpFSJpOraBDEg6wO3kCow.lXfYlGrW7FoPkLRiEipYxDl9F8U9fRp4/",
      "$6$rounds=1x$roundsalt$awZ3hr9bAPhs73o8MVu86LuQv4FyTq.NpFSJpOraBDEg6wO3kCow.lXfYlGrW7FoPkLRiEipYxDl9F8U9fRp4/",
      "$6$a:b$ZpI1R.TOBxqii5ZoXvCEKBq0213r/CbcyDhVzLk1bhTAWDNyUXGyZ6jCWE542Qfldd6JhIRTV0bwd3SZOe1YG.",
      " $6$vncgateSalt1234$ZpI1R.TOBxqii5ZoXvCEKBq0213r/CbcyDhVzLk1bhTAWDNyUXGyZ6jCWE542Qfldd6JhIRTV0bwd3SZOe1YG.",
      [] {  // a NUL in place of the digest's last character
        std::string s = sha512_correct_horse;
        s.back() = '\0';
        return s;
      }());
  CAPTURE(hash);
  CHECK_FALSE(is_supported_hash(hash));
  CHECK_FALSE(verify_password("secret", hash));
  CHECK_FALSE(verify_password("", hash));
  CHECK_FALSE(verify_password("correct horse", hash));
}

// ---- users-file backend ------------------------------------------------------------

namespace {

std::vector<user_record> sample_users() {
  return {
      {"alice", yescrypt_correct_horse, {"designers", "staff"}},
      {"bob", sha512_rounds_tango, {}},
      {"carol", sha512_correct_horse, {"auditors"}},
  };
}

}  // namespace

TEST_CASE("file backend accepts the right password and returns the identity", "[auth]") {
  const file_backend backend(sample_users());
  CHECK(backend.name() == "file");

  const auto v = backend.authenticate("alice", "correct horse");
  CHECK(v.result == outcome::accepted);
  CHECK(v.who.user == "alice");
  CHECK(v.who.groups == std::vector<std::string>{"designers", "staff"});

  const auto b = backend.authenticate("bob", "tango");
  CHECK(b.result == outcome::accepted);
  CHECK(b.who.user == "bob");
  CHECK(b.who.groups.empty());

  CHECK(backend.authenticate("carol", "correct horse").result == outcome::accepted);
}

TEST_CASE("file backend rejects wrong passwords and other users' passwords", "[auth]") {
  const file_backend backend(sample_users());
  const auto [user, password] = GENERATE(table<std::string, std::string>({
      {"alice", "correct horsE"},
      {"alice", ""},
      {"alice", "tango"},            // bob's password
      {"bob", "correct horse"},      // alice's password
      {"Alice", "correct horse"},    // names are case-sensitive
      {"alice ", "correct horse"},
      {"", "correct horse"},
      {std::string("alice\0", 6), "correct horse"},
  }));
  CAPTURE(user, password);
  const auto v = backend.authenticate(user, password);
  CHECK(v.result == outcome::rejected);
  CHECK(v.who.user.empty());
  CHECK(v.who.groups.empty());
  if (!password.empty()) CHECK(v.detail.find(password) == std::string::npos);
}

TEST_CASE("file backend: an unknown user looks exactly like a wrong password", "[auth]") {
  const file_backend backend(sample_users());
  using clock = std::chrono::steady_clock;

  const auto t0 = clock::now();
  const auto wrong = backend.authenticate("alice", "not the password");
  const auto t1 = clock::now();
  const auto unknown = backend.authenticate("mallory", "not the password");
  const auto t2 = clock::now();

  CHECK(wrong.result == outcome::rejected);
  CHECK(unknown.result == outcome::rejected);
  CHECK(unknown.detail == wrong.detail);
  CHECK_FALSE(unknown.detail.empty());
  CHECK(unknown.who.user.empty());

  // Not asserted (machines are noisy); the dummy hash should make these similar.
  using ms = std::chrono::duration<double, std::milli>;
  WARN("timing, not asserted: wrong password " << ms(t1 - t0).count() << " ms, unknown user "
                                               << ms(t2 - t1).count() << " ms");
}

TEST_CASE("file backend with SHA-512 first still rejects unknown users", "[auth]") {
  const file_backend backend(std::vector<user_record>{{"bob", sha512_rounds_tango, {}}});
  const auto unknown = backend.authenticate("alice", "tango");
  const auto wrong = backend.authenticate("bob", "tango!");
  CHECK(unknown.result == outcome::rejected);
  CHECK(wrong.result == outcome::rejected);
  CHECK(unknown.detail == wrong.detail);
  CHECK(backend.authenticate("bob", "tango").result == outcome::accepted);
}

TEST_CASE("file backend with no users rejects everyone", "[auth]") {
  const file_backend backend(std::vector<user_record>{});
  const auto v = backend.authenticate("alice", "correct horse");
  CHECK(v.result == outcome::rejected);
  CHECK(v.who.user.empty());
}

TEST_CASE("file backend rejects a user whose hash is not supported", "[auth]") {
  // The config loader refuses these; the backend must still not accept them.
  const file_backend backend(std::vector<user_record>{
      {"dave", "", {}}, {"erin", "abNANd1rDfiNc", {}}, {"alice", yescrypt_correct_horse, {}}});
  CHECK(backend.authenticate("dave", "").result == outcome::rejected);
  CHECK(backend.authenticate("erin", "secret").result == outcome::rejected);
  CHECK(backend.authenticate("alice", "correct horse").result == outcome::accepted);
}

TEST_CASE("file backend: the first record wins when a name repeats", "[auth]") {
  const file_backend backend(std::vector<user_record>{
      {"alice", yescrypt_correct_horse, {"first"}}, {"alice", sha512_rounds_tango, {"second"}}});
  const auto v = backend.authenticate("alice", "correct horse");
  CHECK(v.result == outcome::accepted);
  CHECK(v.who.groups == std::vector<std::string>{"first"});
  CHECK(backend.authenticate("alice", "tango").result == outcome::rejected);
}

// ---- secret files --------------------------------------------------------------------

TEST_CASE("a 0600 or 0400 secret file is read whole", "[auth]") {
  temp_dir dir;
  const std::string content("key\0with\nbytes\r\n\xff", 18);
  const auto mode = static_cast<fs::perms>(GENERATE(0600u, 0400u));
  const auto p = dir.write("secret", content, mode);
  const auto r = read_secret_file(p);
  REQUIRE(r.has_value());
  CHECK(*r == content);
  const auto m = check_secret_file_mode(p);
  REQUIRE(m.has_value());
  CHECK(*m);
}

TEST_CASE("a secret file open to group or others is refused, naming path and mode", "[auth]") {
  temp_dir dir;
  const auto [mode, text] = GENERATE(table<unsigned, std::string>({
      {0640, "0640"}, {0604, "0604"}, {0644, "0644"}, {0660, "0660"},
      {0602, "0602"}, {0620, "0620"}, {0610, "0610"}, {0601, "0601"}, {0777, "0777"},
  }));
  const auto p = dir.write("secret", "s3cret", static_cast<fs::perms>(mode));
  const auto r = read_secret_file(p);
  REQUIRE_FALSE(r.has_value());
  CAPTURE(r.error());
  CHECK(r.error().find(p.string()) != std::string::npos);
  CHECK(r.error().find("(mode " + text + ")") != std::string::npos);
  CHECK(r.error().find("chmod 600") != std::string::npos);
  CHECK(r.error().find("s3cret") == std::string::npos);
  CHECK_FALSE(check_secret_file_mode(p).has_value());
}

TEST_CASE("a directory, a FIFO or a missing path is refused with its path", "[auth]") {
  // Symbolic links have their own rule: auth_secret_file_test.cpp.
  temp_dir dir;
  const fs::path sub = dir.path() / "sub";
  fs::create_directory(sub);
  fs::permissions(sub, fs::perms::owner_all, fs::perm_options::replace);
  const fs::path fifo = dir.path() / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // opening must not block waiting for a writer
  const fs::path missing = dir.path() / "missing";

  // Names, not paths: Catch re-runs the body (and makes a new directory) per value.
  const auto [name, words] = GENERATE(table<std::string, std::string>({
      {"sub", "not a regular file"},
      {"fifo", "not a regular file"},
      {"missing", "No such file"},
  }));
  const fs::path path = dir.path() / name;
  const auto r = read_secret_file(path);
  REQUIRE_FALSE(r.has_value());
  CAPTURE(r.error());
  CHECK(r.error().find(path.string()) != std::string::npos);
  CHECK(r.error().find(words) != std::string::npos);
  CHECK_FALSE(check_secret_file_mode(path).has_value());
}

TEST_CASE("a secret file larger than 64 KiB is refused", "[auth]") {
  temp_dir dir;
  const auto exact = dir.write("exact", std::string(64 * 1024, 'k'), owner_rw);
  const auto r = read_secret_file(exact);
  REQUIRE(r.has_value());
  CHECK(r->size() == 64 * 1024);

  const auto big = dir.write("big", std::string(64 * 1024 + 1, 'k'), owner_rw);
  const auto b = read_secret_file(big);
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().find(big.string()) != std::string::npos);
}

// ---- VNC password files --------------------------------------------------------------

TEST_CASE("VNC password files: text and vncpasswd -f binary", "[auth]") {
  temp_dir dir;
  // printf 'secret\n' | vncpasswd -f | xxd -i
  const std::string secret_bin("\x2e\x2d\xbf\x57\x6e\xb0\x6c\x9e", 8);
  // printf 'secret\nviewonly\n' | vncpasswd -f | xxd -i  (full + view-only)
  const std::string secret_view_bin("\x2e\x2d\xbf\x57\x6e\xb0\x6c\x9e\x3b\x33\x82\x0a\x27\xba\x4d\xd0", 16);
  // printf 'abcdefghij\n' | vncpasswd -f | xxd -i  (only 8 characters count)
  const std::string abcdefgh_bin("\xdb\x8a\xb0\x25\x65\xe3\xb4\xc2", 8);

  const auto [content, expected] = GENERATE_COPY(table<std::string, std::string>({
      {secret_bin, "secret"},
      {secret_view_bin, "secret"},
      {abcdefgh_bin, "abcdefgh"},
      {"s3cret\n", "s3cret"},
      {"s3cret\r\n", "s3cret"},
      {"s3cret", "s3cret"},
      {"first\nsecond\n", "first"},
      {"abcdefgh", "abcdefgh"},          // 8 bytes but all text: a text password
      {"with space\tand tab\n", "with space\tand tab"},
  }));
  CAPTURE(content);
  const auto p = dir.write("vncpw", content, owner_rw);
  const auto r = read_vnc_password_file(p);
  REQUIRE(r.has_value());
  CHECK(*r == expected);
}

TEST_CASE("VNC password files: empty ones and open modes are refused", "[auth]") {
  temp_dir dir;
  const std::string content = GENERATE(as<std::string>{}, "", "\n", "\r\n", "\nsecond line\n");
  CAPTURE(content);
  const auto p = dir.write("vncpw", content, owner_rw);
  const auto r = read_vnc_password_file(p);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().find(p.string()) != std::string::npos);
  CHECK(r.error().find("empty") != std::string::npos);

  const auto open_mode = dir.write("open", "s3cret\n", static_cast<fs::perms>(0644));
  const auto o = read_vnc_password_file(open_mode);
  REQUIRE_FALSE(o.has_value());
  CHECK(o.error().find("(mode 0644)") != std::string::npos);
  CHECK(o.error().find("s3cret") == std::string::npos);
}
