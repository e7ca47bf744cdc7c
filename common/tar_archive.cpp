#include "common/tar_archive.hpp"

#include "common/sha256.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <stdexcept>

namespace stackd {

namespace {
using WriterPtr = std::unique_ptr<archive, decltype(&archive_write_free)>;
using ReaderPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

la_ssize_t append_to_string(archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}
}  // namespace

long long delivered_mtime(std::string_view content) {
  auto hex = sha256_hex(content);
  return static_cast<long long>(std::stoull(hex.substr(0, 8), nullptr, 16) & 0x7fffffffULL);
}

std::string make_tar(const std::vector<TarFile>& files) {
  std::string out;
  WriterPtr a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open(a.get(), &out, nullptr, append_to_string, nullptr) != ARCHIVE_OK)
    throw std::runtime_error(std::string("tar: ") + archive_error_string(a.get()));
  for (const auto& f : files) {
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), f.path.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(f.content.size()));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), f.mode);
    archive_entry_set_uid(e.get(), f.uid);
    archive_entry_set_gid(e.get(), f.gid);
    archive_entry_set_mtime(e.get(), static_cast<time_t>(delivered_mtime(f.content)), 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), f.content.data(), f.content.size()) < 0)
      throw std::runtime_error(std::string("tar: ") + archive_error_string(a.get()));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    throw std::runtime_error(std::string("tar: ") + archive_error_string(a.get()));
  return out;
}

std::vector<TarFile> read_tar(const std::string& data, std::size_t max_total) {
  ReaderPtr a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
    throw std::runtime_error(std::string("tar: ") + archive_error_string(a.get()));
  std::vector<TarFile> files;
  std::size_t total = 0;
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    auto size = archive_entry_size(entry);
    if (size < 0 || total + static_cast<std::size_t>(size) > max_total)
      throw std::runtime_error("tar: archive larger than " + std::to_string(max_total) + " bytes");
    TarFile f;
    f.path = archive_entry_pathname(entry);
    f.mode = archive_entry_perm(entry);
    f.uid = static_cast<unsigned>(archive_entry_uid(entry));
    f.gid = static_cast<unsigned>(archive_entry_gid(entry));
    f.content.resize(static_cast<std::size_t>(size));
    if (size > 0 && archive_read_data(a.get(), f.content.data(), f.content.size()) != size)
      throw std::runtime_error(std::string("tar: short read of ") + f.path);
    total += f.content.size();
    files.push_back(std::move(f));
  }
  if (rc != ARCHIVE_EOF) throw std::runtime_error(std::string("tar: ") + archive_error_string(a.get()));
  return files;
}

}  // namespace stackd
