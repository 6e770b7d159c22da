// The POSIX calls the local store makes on its blob files, behind one small interface, so that a
// test can make any one of them fail the way a real file system does (a full disk on write, an
// I/O error on read, a file shortened under a reader, a rename refused) and check that the store
// reports it and leaks nothing, which real files cannot be made to do on demand. The same seam
// as LevelDB's Env, kept to what the blob files need.
//
// Contract: each method behaves exactly as the POSIX call of its name (returns and errno);
// the default implementations are those calls. An override may fail a call instead of making it.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <memory>

namespace cachedata::store {

class FileCalls {
 public:
  virtual ~FileCalls() = default;
  virtual int open(const char* path, int flags, mode_t mode);
  virtual int fchmod(int fd, mode_t mode);
  virtual int fstat(int fd, struct stat* st);
  virtual ssize_t read(int fd, void* data, size_t size);
  virtual ssize_t write(int fd, const void* data, size_t size);
  virtual int close(int fd);
  virtual int rename(const char* from, const char* to);
  virtual int unlink(const char* path);
};

// The plain POSIX calls, shared.
std::shared_ptr<FileCalls> posix_file_calls();

}  // namespace cachedata::store
