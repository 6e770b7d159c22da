#include "store/file_calls.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

namespace cachedata::store {

int FileCalls::open(const char* path, int flags, mode_t mode) {
  return ::open(path, flags, mode);
}
int FileCalls::fchmod(int fd, mode_t mode) {
  return ::fchmod(fd, mode);
}
int FileCalls::fstat(int fd, struct stat* st) {
  return ::fstat(fd, st);
}
ssize_t FileCalls::read(int fd, void* data, size_t size) {
  return ::read(fd, data, size);
}
ssize_t FileCalls::write(int fd, const void* data, size_t size) {
  return ::write(fd, data, size);
}
int FileCalls::close(int fd) {
  return ::close(fd);
}
int FileCalls::rename(const char* from, const char* to) {
  return ::rename(from, to);
}
int FileCalls::unlink(const char* path) {
  return ::unlink(path);
}

std::shared_ptr<FileCalls> posix_file_calls() {
  static const auto calls = std::make_shared<FileCalls>();
  return calls;
}

}  // namespace cachedata::store
