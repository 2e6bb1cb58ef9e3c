#include "flatbuf.h"

#include <algorithm>

#include <fmt/format.h>

namespace dolphin::arrow::fb {

Result<TableView> TableView::Root(const uint8_t* data, size_t size) {
  if (size < 4) return CorruptionError(fmt::format("flatbuffer of {} bytes is too short", size));
  return At(data, size, Load<uint32_t>(data));
}

Result<TableView> TableView::At(const uint8_t* data, size_t size, uint64_t pos) {
  if (pos + 4 > size) {
    return CorruptionError(
        fmt::format("flatbuffer table at {} is outside the {} bytes", pos, size));
  }
  int64_t vt = static_cast<int64_t>(pos) - Load<int32_t>(data + pos);
  if (vt < 0 || static_cast<uint64_t>(vt) + 4 > size) {
    return CorruptionError(fmt::format("flatbuffer vtable of table at {} is out of bounds", pos));
  }
  TableView t;
  t.data_ = data;
  t.size_ = size;
  t.pos_ = pos;
  t.vt_ = static_cast<uint64_t>(vt);
  t.vt_size_ = Load<uint16_t>(data + vt);
  t.tbl_size_ = Load<uint16_t>(data + vt + 2);
  if (t.vt_size_ < 4 || (t.vt_size_ & 1) != 0 || t.vt_ + t.vt_size_ > size || t.tbl_size_ < 4 ||
      pos + t.tbl_size_ > size) {
    return CorruptionError(fmt::format("flatbuffer table at {} has an invalid vtable", pos));
  }
  return t;
}

Status TableView::OutOfBounds(int slot) const {
  return CorruptionError(
      fmt::format("flatbuffer field {} of table at {} is out of bounds", slot, pos_));
}

Result<uint64_t> TableView::Follow(int slot) const {
  uint16_t fo = FieldOffset(slot);
  if (static_cast<size_t>(fo) + 4 > tbl_size_) return OutOfBounds(slot);
  uint64_t at = pos_ + fo;
  uint64_t target = at + Load<uint32_t>(data_ + at);
  if (target + 4 > size_) return OutOfBounds(slot);
  return target;
}

Result<std::optional<TableView>> TableView::Table(int slot) const {
  if (!Has(slot)) return std::optional<TableView>();
  DOLPHIN_ASSIGN_OR_RETURN(uint64_t target, Follow(slot));
  DOLPHIN_ASSIGN_OR_RETURN(TableView t, At(data_, size_, target));
  return std::optional<TableView>(t);
}

Result<std::optional<std::string_view>> TableView::String(int slot) const {
  if (!Has(slot)) return std::optional<std::string_view>();
  DOLPHIN_ASSIGN_OR_RETURN(uint64_t target, Follow(slot));
  uint64_t len = Load<uint32_t>(data_ + target);
  if (target + 4 + len > size_) return OutOfBounds(slot);
  return std::optional<std::string_view>(
      std::string_view(reinterpret_cast<const char*>(data_ + target + 4), len));
}

Result<VectorView> TableView::Vector(int slot, size_t elem_size) const {
  if (!Has(slot)) return VectorView();
  DOLPHIN_ASSIGN_OR_RETURN(uint64_t target, Follow(slot));
  uint32_t count = Load<uint32_t>(data_ + target);
  if (target + 4 + static_cast<uint64_t>(count) * elem_size > size_) return OutOfBounds(slot);
  return VectorView(data_, size_, target + 4, count, elem_size);
}

Result<TableView> VectorView::TableAt(uint32_t i) const {
  uint64_t at = elems_ + static_cast<uint64_t>(i) * 4;
  return TableView::At(data_, size_, at + Load<uint32_t>(data_ + at));
}

Result<std::string_view> VectorView::StringAt(uint32_t i) const {
  uint64_t at = elems_ + static_cast<uint64_t>(i) * 4;
  uint64_t target = at + Load<uint32_t>(data_ + at);
  if (target + 4 > size_)
    return CorruptionError(fmt::format("flatbuffer string at {} out of bounds", at));
  uint64_t len = Load<uint32_t>(data_ + target);
  if (target + 4 + len > size_) {
    return CorruptionError(fmt::format("flatbuffer string at {} out of bounds", target));
  }
  return std::string_view(reinterpret_cast<const char*>(data_ + target + 4), len);
}

// ---- Builder ----

Builder::TableBuilder& Builder::TableBuilder::Raw(int slot, const void* p, size_t n) {
  uint64_t bits = 0;
  std::memcpy(&bits, p, n);
  fields_.push_back({slot, n, bits, -1});
  return *this;
}

Builder::TableBuilder& Builder::TableBuilder::Offset(int slot, Ref ref) {
  fields_.push_back({slot, 4, 0, ref});
  return *this;
}

Builder::Ref Builder::AddTable(const TableBuilder& t) {
  Obj o{Obj::kTable, t, {}, 0, 8, {}};
  pool_.push_back(std::move(o));
  return static_cast<Ref>(pool_.size() - 1);
}

Builder::Ref Builder::AddString(std::string_view s) {
  Obj o{Obj::kString, {}, std::string(s), static_cast<uint32_t>(s.size()), 4, {}};
  pool_.push_back(std::move(o));
  return static_cast<Ref>(pool_.size() - 1);
}

Builder::Ref Builder::AddBytesVector(const void* data, uint32_t count, size_t elem_size,
                                     size_t align) {
  Obj o{Obj::kBytes,
        {},
        std::string(static_cast<const char*>(data), count * elem_size),
        count,
        std::max<size_t>(align, 4),
        {}};
  pool_.push_back(std::move(o));
  return static_cast<Ref>(pool_.size() - 1);
}

Builder::Ref Builder::AddRefVector(const std::vector<Ref>& refs) {
  Obj o{Obj::kRefs, {}, {}, static_cast<uint32_t>(refs.size()), 4, refs};
  pool_.push_back(std::move(o));
  return static_cast<Ref>(pool_.size() - 1);
}

namespace {
void Pad(std::string& out, size_t align) {
  while (out.size() % align != 0) out.push_back('\0');
}
template <typename T>
void Put(std::string& out, size_t at, T v) {
  std::memcpy(out.data() + at, &v, sizeof(T));
}
template <typename T>
void Append(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
}  // namespace

size_t Builder::Write(Ref ref, std::string& out) {
  const Obj& o = pool_[static_cast<size_t>(ref)];
  switch (o.kind) {
    case Obj::kString: {
      Pad(out, 4);
      size_t at = out.size();
      Append<uint32_t>(out, o.count);
      out += o.bytes;
      out.push_back('\0');
      return at;
    }
    case Obj::kBytes: {
      // The length prefix sits right before the elements, which must be `align`-aligned.
      while ((out.size() + 4) % o.align != 0) out.push_back('\0');
      size_t at = out.size();
      Append<uint32_t>(out, o.count);
      out += o.bytes;
      return at;
    }
    case Obj::kRefs: {
      Pad(out, 4);
      size_t at = out.size();
      Append<uint32_t>(out, o.count);
      size_t slots = out.size();
      out.append(4 * o.refs.size(), '\0');
      for (size_t i = 0; i < o.refs.size(); ++i) {
        size_t child = Write(o.refs[i], out);
        size_t field = slots + 4 * i;
        Put<uint32_t>(out, field, static_cast<uint32_t>(child - field));
      }
      return at;
    }
    case Obj::kTable: {
      std::vector<TableBuilder::FieldSpec> fields = o.table.fields_;
      std::stable_sort(fields.begin(), fields.end(),
                       [](const auto& a, const auto& b) { return a.size > b.size; });
      int max_slot = -1;
      for (const auto& f : fields) max_slot = std::max(max_slot, f.slot);
      // Layout inside the table (relative to its start, which is 8-aligned).
      std::vector<size_t> rel(fields.size());
      size_t pos = 4;
      for (size_t i = 0; i < fields.size(); ++i) {
        pos = (pos + fields[i].size - 1) / fields[i].size * fields[i].size;
        rel[i] = pos;
        pos += fields[i].size;
      }
      size_t tbl_size = pos;
      size_t vt_size = 4 + 2 * static_cast<size_t>(max_slot + 1);
      // vtable (2-aligned), then pad so the table starts 8-aligned.
      Pad(out, 2);
      size_t vt = out.size();
      out.append(vt_size, '\0');
      Put<uint16_t>(out, vt, static_cast<uint16_t>(vt_size));
      Put<uint16_t>(out, vt + 2, static_cast<uint16_t>(tbl_size));
      for (size_t i = 0; i < fields.size(); ++i) {
        Put<uint16_t>(out, vt + 4 + 2 * static_cast<size_t>(fields[i].slot),
                      static_cast<uint16_t>(rel[i]));
      }
      Pad(out, 8);
      size_t tbl = out.size();
      out.append(tbl_size, '\0');
      Put<int32_t>(out, tbl, static_cast<int32_t>(tbl - vt));
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].ref < 0)
          std::memcpy(out.data() + tbl + rel[i], &fields[i].bits, fields[i].size);
      }
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].ref < 0) continue;
        size_t child = Write(fields[i].ref, out);
        size_t field = tbl + rel[i];
        Put<uint32_t>(out, field, static_cast<uint32_t>(child - field));
      }
      return tbl;
    }
  }
  return 0;
}

std::string Builder::Finish(Ref root) {
  std::string out(4, '\0');
  size_t at = Write(root, out);
  Put<uint32_t>(out, 0, static_cast<uint32_t>(at));
  Pad(out, 8);
  return out;
}

}  // namespace dolphin::arrow::fb
