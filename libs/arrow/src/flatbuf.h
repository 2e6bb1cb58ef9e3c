// Minimal FlatBuffers access, bounds-checked at every step, and a small builder.
//
// The reader verifies as it goes: a table's vtable and inline size, every field it reads, every
// offset it follows, every string and vector length, all against the buffer size. Offsets in
// FlatBuffers only point forward, so following them cannot loop.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dolphin/core/result.h"

namespace dolphin::arrow::fb {

template <typename T>
inline T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

class VectorView;

class TableView {
 public:
  TableView() = default;
  // The root table: a uoffset at position 0.
  static Result<TableView> Root(const uint8_t* data, size_t size);
  static Result<TableView> At(const uint8_t* data, size_t size, uint64_t pos);

  bool Has(int slot) const { return FieldOffset(slot) != 0; }

  template <typename T>
  Result<T> Scalar(int slot, T def) const {
    uint16_t fo = FieldOffset(slot);
    if (fo == 0) return def;
    if (static_cast<size_t>(fo) + sizeof(T) > tbl_size_) return OutOfBounds(slot);
    return Load<T>(data_ + pos_ + fo);
  }
  // Absent -> std::nullopt.
  Result<std::optional<TableView>> Table(int slot) const;
  Result<std::optional<std::string_view>> String(int slot) const;
  // Absent -> an empty vector. Elements are `elem_size` bytes each (4 for offsets to tables
  // and strings).
  Result<VectorView> Vector(int slot, size_t elem_size) const;

  uint64_t pos() const { return pos_; }

 private:
  uint16_t FieldOffset(int slot) const {
    size_t at = 4 + 2 * static_cast<size_t>(slot);
    if (at + 2 > vt_size_) return 0;
    return Load<uint16_t>(data_ + vt_ + at);
  }
  Result<uint64_t> Follow(int slot) const;
  Status OutOfBounds(int slot) const;

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  uint64_t pos_ = 0;
  uint64_t vt_ = 0;
  uint16_t vt_size_ = 0;
  uint16_t tbl_size_ = 0;
};

class VectorView {
 public:
  VectorView() = default;
  VectorView(const uint8_t* data, size_t size, uint64_t elems, uint32_t count, size_t elem_size)
      : data_(data), size_(size), elems_(elems), count_(count), elem_size_(elem_size) {}

  uint32_t size() const { return count_; }
  // Raw element bytes; in bounds by construction.
  const uint8_t* ElementPtr(uint32_t i) const { return data_ + elems_ + i * elem_size_; }
  template <typename T>
  T ScalarAt(uint32_t i) const {
    return Load<T>(ElementPtr(i));
  }
  Result<TableView> TableAt(uint32_t i) const;
  Result<std::string_view> StringAt(uint32_t i) const;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  uint64_t elems_ = 0;
  uint32_t count_ = 0;
  size_t elem_size_ = 0;
};

// ---- Builder ----
//
// Objects are collected in a pool and serialised front to back: each table is preceded by its
// vtable, and everything a table refers to is written after it (offsets point forward). Tables
// start 8-aligned and lay their fields out by decreasing size, so every scalar is naturally
// aligned relative to the buffer start (as the FlatBuffers verifier requires).
class Builder {
 public:
  using Ref = int32_t;  // index into the pool

  // Tables: Start, add fields, Finish.
  class TableBuilder {
   public:
    TableBuilder& Int8(int slot, int8_t v) { return Raw(slot, &v, 1); }
    TableBuilder& UInt8(int slot, uint8_t v) { return Raw(slot, &v, 1); }
    TableBuilder& Bool(int slot, bool v) { return UInt8(slot, v ? 1 : 0); }
    TableBuilder& Int16(int slot, int16_t v) { return Raw(slot, &v, 2); }
    TableBuilder& Int32(int slot, int32_t v) { return Raw(slot, &v, 4); }
    TableBuilder& Int64(int slot, int64_t v) { return Raw(slot, &v, 8); }
    TableBuilder& Offset(int slot, Ref ref);

   private:
    friend class Builder;
    TableBuilder& Raw(int slot, const void* p, size_t n);
    struct FieldSpec {
      int slot;
      size_t size;
      uint64_t bits;
      Ref ref;  // -1 for scalars
    };
    std::vector<FieldSpec> fields_;
  };

  Ref AddTable(const TableBuilder& t);
  Ref AddString(std::string_view s);
  // A vector of structs or scalars: `count` elements of `elem_size` bytes, aligned to `align`.
  Ref AddBytesVector(const void* data, uint32_t count, size_t elem_size, size_t align);
  Ref AddRefVector(const std::vector<Ref>& refs);

  // Serialises with `root` as the root table. The result's size is a multiple of 8.
  std::string Finish(Ref root);

 private:
  struct Obj {
    enum Kind { kTable, kString, kBytes, kRefs } kind;
    TableBuilder table;
    std::string bytes;
    uint32_t count = 0;
    size_t align = 4;
    std::vector<Ref> refs;
  };
  size_t Write(Ref ref, std::string& out);
  std::vector<Obj> pool_;
};

}  // namespace dolphin::arrow::fb
