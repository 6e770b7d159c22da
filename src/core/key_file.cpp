#include "core/key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/random.hpp"

namespace cachedata::core {

Result<LoadedKey> load_or_create_key_file(const std::string& path, bool create) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 &&
      (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)) {
    // A key planted by someone else would let them read and forge this cache's entries.
    return Status::invalid_argument("key file " + path +
                                    " is not a regular file of this user, or others can write it");
  }
  auto existing = DataKey::from_file(path);
  if (existing) return LoadedKey{std::move(existing).value(), false};
  if (existing.status().code() != Status::Code::kNotFound || !create) return existing.status();

  DataKey key = DataKey::generate();
  std::string hex = key.to_hex() + "\n";
  std::string tmp = path + ".tmp-" + crypto::random_hex(8);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::io_error("cannot create key file " + tmp + ": " + std::strerror(errno));
  }
  ::fchmod(fd, 0600);  // independent of the umask
  bool written =
      ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
  ::close(fd);
  int link_errno = 0;
  if (written && ::link(tmp.c_str(), path.c_str()) != 0) link_errno = errno;
  ::unlink(tmp.c_str());
  if (!written) return Status::io_error("cannot write key file " + tmp);
  if (link_errno == EEXIST) {
    // Another process created it first: use theirs.
    auto theirs = DataKey::from_file(path);
    if (!theirs) return theirs.status();
    return LoadedKey{std::move(theirs).value(), false};
  }
  if (link_errno != 0) {
    return Status::io_error("cannot create key file " + path + ": " + std::strerror(link_errno));
  }
  return LoadedKey{std::move(key), true};
}

}  // namespace cachedata::core
