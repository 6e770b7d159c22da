// The local store's blob files when the file system fails: every failing call on the write path
// (create, chmod, write, close, rename) fails the put with an error that names the call, leaves
// no temporary file and keeps the record that was there; every failing call on the read path is
// an error or a miss as the store's contract says; interrupted and partial calls are carried on;
// and no path leaks a file descriptor. The faults come through the FileCalls seam
// (src/store/file_calls.hpp): a real disk cannot be made full or failing on demand.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/file_calls.hpp"
#include "store/local_store.hpp"
#include "support/test_support.hpp"

namespace cachedata::store {
namespace {

namespace fs = std::filesystem;
using Code = Status::Code;

// POSIX calls with faults on demand, counting the descriptors it hands out and takes back.
class FaultyFileCalls final : public FileCalls {
 public:
  // 0: no fault. Otherwise the call fails with this errno, `times` times (-1: always), once
  // `after` calls have gone through.
  struct Fault {
    int err = 0;
    int times = -1;
    int after = 0;
    bool fire() {
      if (err == 0 || times == 0) return false;
      if (after > 0) {
        --after;
        return false;
      }
      if (times > 0) --times;
      errno = err;
      return true;
    }
  };
  Fault open_fault, fchmod_fault, fstat_fault, read_fault, write_fault, close_fault, rename_fault;
  size_t max_write = 0;          // bytes per write() at most (0: all)
  size_t max_read = 0;           // bytes per read() at most (0: all)
  std::optional<size_t> eof_at;  // read() ends the file after this many bytes (shortened)
  off_t size_change = 0;         // added to the size fstat() reports
  // open() hands out descriptor 0, as it does in a process whose stdin is closed (a daemon).
  bool open_as_fd_zero = false;

  int open(const char* path, int flags, mode_t mode) override {
    if (open_fault.fire()) return -1;
    int fd = FileCalls::open(path, flags, mode);
    if (fd >= 0) ++open_fds;
    read_so_far = 0;
    if (fd >= 0 && open_as_fd_zero) {
      saved_stdin = ::dup(0);
      ::dup2(fd, 0);
      FileCalls::close(fd);
      fd = 0;
    }
    return fd;
  }
  int fchmod(int fd, mode_t mode) override {
    if (fchmod_fault.fire()) return -1;
    return FileCalls::fchmod(fd, mode);
  }
  int fstat(int fd, struct stat* st) override {
    if (fstat_fault.fire()) return -1;
    int rc = FileCalls::fstat(fd, st);
    st->st_size += size_change;
    return rc;
  }
  ssize_t read(int fd, void* data, size_t size) override {
    if (read_fault.fire()) return -1;
    if (max_read != 0 && size > max_read) size = max_read;
    if (eof_at) size = std::min(size, *eof_at - std::min(*eof_at, read_so_far));
    if (size == 0) return 0;
    ssize_t n = FileCalls::read(fd, data, size);
    if (n > 0) read_so_far += static_cast<size_t>(n);
    return n;
  }
  ssize_t write(int fd, const void* data, size_t size) override {
    if (write_fault.fire()) return -1;
    ++writes;
    if (max_write != 0 && size > max_write) size = max_write;
    return FileCalls::write(fd, data, size);
  }
  int close(int fd) override {
    --open_fds;
    if (fd == 0 && saved_stdin >= 0) {  // give the process its stdin back
      ::dup2(saved_stdin, 0);
      FileCalls::close(saved_stdin);
      saved_stdin = -1;
      return close_fault.fire() ? -1 : 0;
    }
    int rc = FileCalls::close(fd);  // the descriptor is gone even when close reports an error
    if (close_fault.fire()) return -1;
    return rc;
  }
  int rename(const char* from, const char* to) override {
    if (rename_fault.fire()) return -1;
    return FileCalls::rename(from, to);
  }

  void clear_faults() {
    for (Fault* f : {&open_fault, &fchmod_fault, &fstat_fault, &read_fault, &write_fault,
                     &close_fault, &rename_fault}) {
      *f = Fault{};
    }
    max_write = max_read = 0;
  }

  std::atomic<int> open_fds{0};
  int writes = 0;

 private:
  size_t read_so_far = 0;
  int saved_stdin = -1;
};

class LocalStoreFileFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalStoreOptions options;
    options.dir = tmp.path();
    options.inline_max_bytes = 16;  // the bodies below are files
    options.file_calls = files;
    auto opened = open_local_store(options);
    ASSERT_TRUE(opened) << opened.status().to_string();
    store = std::move(opened).value();
  }
  void TearDown() override { EXPECT_EQ(files->open_fds, 0) << "a file descriptor leaked"; }

  StoredRecord record(std::string body, std::string head = "the head") const {
    StoredRecord r;
    r.id = std::string(64, 'c');
    r.expires = 4102444800;   // 2100
    r.purge_at = 4102444800;  // far in the future: the store's own clock is the system's
    r.head = std::move(head);
    r.body = std::move(body);
    return r;
  }
  Result<std::optional<StoredRecord>> get() { return store->get(std::string(64, 'c')); }
  // Every file under blobs/, temporary ones included.
  std::vector<std::string> files_on_disk() const {
    std::vector<std::string> out;
    fs::path blobs = fs::path(tmp.path()) / "blobs";
    if (!fs::exists(blobs)) return out;
    for (const auto& e : fs::recursive_directory_iterator(blobs)) {
      if (e.is_regular_file()) out.push_back(e.path().filename().string());
    }
    return out;
  }
  // A failed put of a new body over `kept`: the error names `call`, and `kept` is still there,
  // with the one file it had.
  void expect_failed_put_keeps(const StoredRecord& kept, const std::string& call) {
    Status s = store->put(record(std::string(5000, 'n'), "new head"));
    EXPECT_EQ(s.code(), Code::kIoError) << s.to_string();
    EXPECT_NE(s.message().find(call), std::string::npos) << s.to_string();
    files->clear_faults();
    auto got = get();
    ASSERT_TRUE(got) << got.status().to_string();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->head, kept.head);
    EXPECT_EQ((*got)->body, kept.body);
    EXPECT_EQ(files_on_disk().size(), 1u) << "a temporary file was left behind";
  }

  testing::TempDir tmp;
  std::shared_ptr<FaultyFileCalls> files = std::make_shared<FaultyFileCalls>();
  std::shared_ptr<Store> store;
};

// --- the write path ---

TEST_F(LocalStoreFileFaultsTest, PutFailsWhenTheDiskIsFull) {
  StoredRecord kept = record(std::string(3000, 'k'));
  ASSERT_TRUE(store->put(kept));
  files->write_fault = {ENOSPC, -1};
  expect_failed_put_keeps(kept, "cannot write");
}

TEST_F(LocalStoreFileFaultsTest, PutFailsWhenTheDiskFillsAfterThePartWritten) {
  StoredRecord kept = record(std::string(3000, 'k'));
  ASSERT_TRUE(store->put(kept));
  files->max_write = 1000;
  files->writes = 0;
  files->write_fault = {ENOSPC, -1, /*after=*/2};  // two chunks go through, then the disk is full
  expect_failed_put_keeps(kept, "No space left on device");
  EXPECT_EQ(files->writes, 2);
}

TEST_F(LocalStoreFileFaultsTest, PutCarriesOnAfterAnInterruptedWrite) {
  files->write_fault = {EINTR, 2};
  StoredRecord r = record(std::string(3000, 'i'));
  ASSERT_TRUE(store->put(r));
  auto got = get();
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->body, r.body);
}

TEST_F(LocalStoreFileFaultsTest, PutWritesWhatEachPartialWriteLeft) {
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{999}}) {
    SCOPED_TRACE("at most " + std::to_string(chunk) + " bytes per write");
    files->max_write = chunk;
    files->writes = 0;
    std::string body(1000, 'p');
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
    ASSERT_TRUE(store->put(record(body)));
    EXPECT_EQ(files->writes, static_cast<int>((body.size() + chunk - 1) / chunk));
    auto got = get();
    ASSERT_TRUE(got && got->has_value());
    EXPECT_EQ((*got)->body, body);
  }
}

TEST_F(LocalStoreFileFaultsTest, PutFailsWhenTheTemporaryFileCannotBeCreated) {
  StoredRecord kept = record(std::string(3000, 'k'));
  ASSERT_TRUE(store->put(kept));
  files->open_fault = {EMFILE, -1};
  expect_failed_put_keeps(kept, "cannot create");
}

TEST_F(LocalStoreFileFaultsTest, PutFailsWhenTheFileModeCannotBeSet) {
  StoredRecord kept = record(std::string(3000, 'k'));
  ASSERT_TRUE(store->put(kept));
  files->fchmod_fault = {EPERM, -1};
  files->writes = 0;
  expect_failed_put_keeps(kept, "Operation not permitted");
  EXPECT_EQ(files->writes, 0) << "nothing is written to a file whose mode is not private";
}

// NFS and some FUSE file systems report a failed write-back only at close.
TEST_F(LocalStoreFileFaultsTest, PutFailsWhenCloseReportsALostWrite) {
  StoredRecord kept = record(std::string(3000, 'k'));
  ASSERT_TRUE(store->put(kept));
  files->close_fault = {EIO, -1};
  expect_failed_put_keeps(kept, "Input/output error");
}

TEST_F(LocalStoreFileFaultsTest, PutFailsWhenTheRenameIsRefused) {
  StoredRecord kept = record(std::string(3000, 'k'));
  ASSERT_TRUE(store->put(kept));
  files->rename_fault = {EACCES, -1};
  expect_failed_put_keeps(kept, "Permission denied");
}

TEST_F(LocalStoreFileFaultsTest, AFailedPutOfANewIdLeavesNoRecordAndNoFile) {
  files->write_fault = {EIO, -1};
  EXPECT_EQ(store->put(record(std::string(3000, 'x'))).code(), Code::kIoError);
  auto got = get();
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_FALSE(got->has_value());
  EXPECT_TRUE(files_on_disk().empty());
}

// --- the read path ---

class LocalStoreFileReadFaultsTest : public LocalStoreFileFaultsTest {
 protected:
  void SetUp() override {
    LocalStoreFileFaultsTest::SetUp();
    ASSERT_TRUE(store->put(stored));
  }
  StoredRecord stored = [this] {
    std::string body(3000, '\0');
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7);
    return record(body);
  }();
};

TEST_F(LocalStoreFileReadFaultsTest, GetFailsOnAReadError) {
  files->read_fault = {EIO, -1};
  auto got = get();
  EXPECT_EQ(got.status().code(), Code::kIoError);
  EXPECT_NE(got.status().message().find("cannot read"), std::string::npos)
      << got.status().to_string();
}

TEST_F(LocalStoreFileReadFaultsTest, GetCarriesOnAfterAnInterruptedRead) {
  files->read_fault = {EINTR, 3};
  auto got = get();
  ASSERT_TRUE(got) << got.status().to_string();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->body, stored.body);
}

TEST_F(LocalStoreFileReadFaultsTest, GetJoinsPartialReads) {
  for (size_t chunk : {size_t{1}, size_t{1000}, size_t{2999}}) {
    SCOPED_TRACE("at most " + std::to_string(chunk) + " bytes per read");
    files->max_read = chunk;
    auto got = get();
    ASSERT_TRUE(got) << got.status().to_string();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->body, stored.body);
  }
}

// The file shrank between fstat and read (another process replaced a damaged file, or a
// truncation): a miss, as for a file of the wrong size, never a short body.
TEST_F(LocalStoreFileReadFaultsTest, AFileShortenedUnderTheReaderIsAMiss) {
  for (size_t at : {size_t{0}, size_t{1}, size_t{2999}}) {
    SCOPED_TRACE("the file ends after " + std::to_string(at) + " bytes");
    files->eof_at = at;
    auto got = get();
    ASSERT_TRUE(got) << got.status().to_string();
    EXPECT_FALSE(got->has_value());
  }
  files->eof_at = 3000;  // exactly its size: whole
  auto got = get();
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->body, stored.body);
}

// errno is not reset by a call that succeeds: the EINTR of an earlier read must not make the
// end of a shortened file look like another interruption (that would spin for ever).
TEST_F(LocalStoreFileReadFaultsTest, AnInterruptedReadOfAFileShortenedLaterIsAMiss) {
  files->read_fault = {EINTR, 1};
  files->eof_at = 100;
  auto got = get();
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_FALSE(got->has_value());
}

TEST_F(LocalStoreFileReadFaultsTest, AFileOpenedAsDescriptorZeroIsReadAndWritten) {
  files->open_as_fd_zero = true;
  auto got = get();
  ASSERT_TRUE(got) << got.status().to_string();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->body, stored.body);
  StoredRecord newer = record(std::string(4000, 'z'), "newer head");
  ASSERT_TRUE(store->put(newer));
  files->open_as_fd_zero = false;
  got = get();
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->body, newer.body);
}

TEST_F(LocalStoreFileReadFaultsTest, AFileOfAnotherSizeIsAMiss) {
  for (off_t change : {off_t{-1}, off_t{1}}) {
    files->size_change = change;
    auto got = get();
    ASSERT_TRUE(got) << got.status().to_string();
    EXPECT_FALSE(got->has_value()) << "size changed by " << change;
  }
}

TEST_F(LocalStoreFileReadFaultsTest, GetFailsWhenTheFileCannotBeStatted) {
  files->fstat_fault = {EIO, -1};
  auto got = get();
  EXPECT_EQ(got.status().code(), Code::kIoError);
  EXPECT_NE(got.status().message().find("cannot stat"), std::string::npos)
      << got.status().to_string();
}

TEST_F(LocalStoreFileReadFaultsTest, GetFailsWhenTheFileCannotBeOpened) {
  files->open_fault = {EACCES, -1};
  auto got = get();
  EXPECT_EQ(got.status().code(), Code::kIoError);
  EXPECT_NE(got.status().message().find("cannot open"), std::string::npos)
      << got.status().to_string();
}

TEST_F(LocalStoreFileReadFaultsTest, AFileThatIsGoneIsAMiss) {
  files->open_fault = {ENOENT, -1};
  auto got = get();
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_FALSE(got->has_value());
}

}  // namespace
}  // namespace cachedata::store
