// auth_secret_file_test.cpp — secret files reached through symbolic links, laid out the
// way the kubelet writes a Secret volume. [auth]
//
// The layout (pkg/volume/util/atomic_writer.go): the bytes live in a timestamped
// directory, `..data` links to it, and each visible name links to `..data/<name>`; an
// update writes a new timestamped directory and renames a new `..data` over the old one.
// With the pod's fsGroup the kubelet chowns the files to root:fsGroup and ORs in 0440
// (pkg/volume/volume_linux.go, roMask). Ownership cases chown to other ids, so these
// tests run as root (as the suite does).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "auth/secret_file.hpp"

namespace fs = std::filesystem;
using namespace vncgate::auth;

namespace {

constexpr uid_t other_uid = 4242;
constexpr gid_t other_gid = 4343;

// A temp dir holding `secrets/`, the mounted Secret volume, and room beside it.
class secret_volume {
 public:
  secret_volume() {
    std::string pattern = (fs::temp_directory_path() / "vncgate-k8s-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
    mount_ = root_ / "secrets";
    fs::create_directory(mount_);
  }
  secret_volume(const secret_volume&) = delete;
  secret_volume& operator=(const secret_volume&) = delete;
  ~secret_volume() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  const fs::path& root() const { return root_; }
  const fs::path& mount() const { return mount_; }
  fs::path visible(const std::string& name) const { return mount_ / name; }

  // Projects `name` with `content` as a new version, as the atomic writer does: a new
  // ..<timestamp>/ (mode 0755), the file chmod/chowned, ..data swapped by rename, the
  // visible link made if missing, the previous version removed. Returns the real file.
  fs::path project(const std::string& name, const std::string& content, mode_t mode, uid_t uid = 0,
                   gid_t gid = ::getegid()) {
    const std::string version = "..2026_12_04_20_53_22." + std::to_string(123456789 + versions_++);
    const fs::path dir = mount_ / version;
    fs::create_directory(dir);
    REQUIRE(::chmod(dir.c_str(), 0755) == 0);
    const fs::path file = dir / name;
    std::ofstream(file, std::ios::binary) << content;
    REQUIRE(::chmod(file.c_str(), mode) == 0);
    INFO("chown needs root: run the unit tests as root");
    REQUIRE(::chown(file.c_str(), uid, gid) == 0);

    const fs::path data = mount_ / "..data";
    std::error_code ec;
    const fs::path previous = fs::read_symlink(data, ec);
    fs::create_symlink(version, mount_ / "..data_tmp");
    fs::rename(mount_ / "..data_tmp", data);
    if (!fs::is_symlink(fs::symlink_status(visible(name)))) fs::create_symlink(fs::path("..data") / name, visible(name));
    if (!previous.empty()) fs::remove_all(mount_ / previous);
    return file;
  }

 private:
  fs::path root_;
  fs::path mount_;
  int versions_ = 0;
};

void check_refused(const fs::path& path, const std::string& target, const std::string& why) {
  const auto r = read_secret_file(path);
  REQUIRE_FALSE(r.has_value());
  CAPTURE(r.error());
  CHECK(r.error().find("secret file " + path.string()) != std::string::npos);
  CHECK(r.error().find(target) != std::string::npos);
  CHECK(r.error().find(why) != std::string::npos);
  CHECK(r.error().find("s3cret") == std::string::npos);
  const auto m = check_secret_file_mode(path);
  REQUIRE_FALSE(m.has_value());
  CHECK(m.error() == r.error());
}

}  // namespace

TEST_CASE("a Secret volume key (0400, or 0440 with our group) is read through its links", "[auth][k8s]") {
  secret_volume volume;
  const mode_t mode = GENERATE(0400u, 0440u);
  CAPTURE(mode);
  volume.project("tls.key", "first key\n", mode);
  const auto key = volume.visible("tls.key");
  REQUIRE(fs::is_symlink(fs::symlink_status(key)));
  REQUIRE(fs::is_symlink(fs::symlink_status(volume.mount() / "..data")));

  const auto r = read_secret_file(key);
  INFO((r ? std::string() : r.error()));
  REQUIRE(r.has_value());
  CHECK(*r == "first key\n");
  CHECK(check_secret_file_mode(key).has_value());

  // The kubelet's update: a new version, ..data renamed over; the same path reads it.
  volume.project("tls.key", "second key\n", mode);
  const auto again = read_secret_file(key);
  REQUIRE(again.has_value());
  CHECK(*again == "second key\n");
  CHECK(read_vnc_password_file(key).value() == "second key");
}

TEST_CASE("links that stay inside the directory are followed however they are spelled", "[auth][k8s]") {
  secret_volume volume;
  const auto real = volume.project("pw", "s3cret\n", 0400);
  // An absolute link to the real file, a link into a subdirectory, and the directory
  // itself named through a symlink: each ends inside the (real) directory.
  fs::create_symlink(real, volume.mount() / "absolute");
  fs::create_directory(volume.mount() / "sub");
  REQUIRE(::chmod((volume.mount() / "sub").c_str(), 0700) == 0);
  std::ofstream(volume.mount() / "sub" / "file") << "s3cret\n";
  REQUIRE(::chmod((volume.mount() / "sub" / "file").c_str(), 0600) == 0);
  fs::create_symlink("sub/file", volume.mount() / "into-sub");
  fs::create_directory_symlink(volume.mount(), volume.root() / "alias");

  // Relative names: Catch re-runs the body (and makes a new directory) per value.
  const std::string name = GENERATE(as<std::string>{}, "secrets/absolute", "secrets/into-sub", "alias/pw");
  const fs::path path = volume.root() / name;
  CAPTURE(path);
  const auto r = read_secret_file(path);
  INFO((r ? std::string() : r.error()));
  REQUIRE(r.has_value());
  CHECK(*r == "s3cret\n");
}

TEST_CASE("a Secret volume key with an unsafe mode or owner is refused, saying why", "[auth][k8s]") {
  secret_volume volume;
  const auto [mode, uid, gid, why] = GENERATE(table<mode_t, uid_t, gid_t, std::string>({
      {0644, 0, ::getegid(), "mode 0644: readable by others; set defaultMode: 0400 in the Secret volume"},
      {0404, 0, ::getegid(), "mode 0404: readable by others"},
      {0402, 0, ::getegid(), "mode 0402: writable or executable by others"},
      {0460, 0, ::getegid(), "mode 0460: writable or executable by group"},
      {0410, 0, ::getegid(), "mode 0410: writable or executable by group"},
      {0440, 0, other_gid, "mode 0440: readable by group 4343, which is not the group vncgate runs as (gid " +
                               std::to_string(::getegid()) + "); set the pod's runAsGroup to its fsGroup"},
      {0400, other_uid, ::getegid(), "owned by uid 4242; it must belong to root or to uid " +
                                         std::to_string(::geteuid()) + ", the user vncgate runs as"},
  }));
  CAPTURE(mode, uid, gid);
  const auto real = fs::canonical(volume.project("tls.key", "s3cret", mode, uid, gid));
  check_refused(volume.visible("tls.key"), "(a symbolic link to " + real.string() + "): ", why);
}

TEST_CASE("a link that leaves its directory, dangles or ends at no regular file is refused", "[auth][k8s]") {
  secret_volume volume;
  const fs::path m = volume.mount();
  volume.project("pw", "s3cret", 0400);
  // Outside: an absolute link, a relative one up, and ..data itself pointing elsewhere.
  std::ofstream(volume.root() / "x") << "s3cret";
  REQUIRE(::chmod((volume.root() / "x").c_str(), 0400) == 0);
  fs::create_symlink("/etc/passwd", m / "passwd");
  fs::create_symlink("../x", m / "up");
  fs::create_directory(volume.root() / "elsewhere");
  std::ofstream(volume.root() / "elsewhere" / "pw") << "s3cret";
  REQUIRE(::chmod((volume.root() / "elsewhere" / "pw").c_str(), 0400) == 0);
  fs::create_symlink("../elsewhere", m / "..other");
  fs::create_symlink("..other/pw", m / "via-other");
  // Nowhere: a dangling link, a loop.
  fs::create_symlink("..data/missing", m / "dangling");
  fs::create_symlink("loop-b", m / "loop-a");
  fs::create_symlink("loop-a", m / "loop-b");
  // Not a regular file: a directory, a FIFO (the open must not block waiting for a writer).
  fs::create_directory(m / "dir");
  fs::create_symlink("dir", m / "to-dir");
  REQUIRE(::mkfifo((m / "fifo").c_str(), 0400) == 0);
  fs::create_symlink("fifo", m / "to-fifo");
  // Too large.
  std::ofstream(m / "big") << std::string(64 * 1024 + 1, 'k');
  REQUIRE(::chmod((m / "big").c_str(), 0400) == 0);
  fs::create_symlink("big", m / "to-big");

  const std::string real_mount = fs::canonical(m).string();
  const std::string real_root = fs::canonical(volume.root()).string();
  const std::string outside = "points outside its directory ";
  // Names, not paths: Catch re-runs the body (and makes a new directory) per value. The
  // target is relative to the temp dir unless absolute.
  const auto [name, target_name, why_text] = GENERATE(table<std::string, std::string, std::string>({
      {"passwd", "/etc/passwd", "points outside its directory "},
      {"up", "x", "points outside its directory "},
      {"via-other", "elsewhere/pw", "points outside its directory "},
      {"dangling", "secrets/..data/missing", "the link is dangling"},
      {"loop-a", "secrets/loop-", "Too many levels of symbolic links"},
      {"to-dir", "secrets/dir", "not a regular file (a directory)"},
      {"to-fifo", "secrets/fifo", "not a regular file (a FIFO)"},
      {"to-big", "secrets/big", "larger than 64 KiB"},
  }));
  const bool named_nowhere = name == "dangling" || name == "loop-a";  // not resolved: named as spelled
  const std::string base = named_nowhere ? volume.root().string() : real_root;
  const std::string target = target_name.front() == '/' ? target_name : base + "/" + target_name;
  const std::string why = why_text == outside ? outside + real_mount : why_text;
  check_refused(m / name, target, why);
}

TEST_CASE("a file that is not a link keeps the plain rule: group read is refused even for our group",
          "[auth][k8s]") {
  secret_volume volume;
  const fs::path file = volume.mount() / "plain";
  std::ofstream(file) << "s3cret";
  REQUIRE(::chmod(file.c_str(), 0440) == 0);
  REQUIRE(::chown(file.c_str(), 0, ::getegid()) == 0);
  const auto r = read_secret_file(file);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == "secret file " + file.string() +
                         " is readable or writable by group or others (mode 0440); chmod 600 it");
  // Owned by someone else but mode 0600: the plain rule never looked at the owner.
  REQUIRE(::chmod(file.c_str(), 0600) == 0);
  REQUIRE(::chown(file.c_str(), other_uid, other_gid) == 0);
  CHECK(read_secret_file(file).value() == "s3cret");
}
