// Arrow rows -> JSON text by the conventions of docs/architecture.md §8 (also `dolphin arrow cat`):
// null -> null; bool; integers exact; floats shortest round-trip (NaN/Inf -> null); utf8 ->
// string; binary -> uppercase hex; date -> YYYY-MM-DD; time -> HH:MM:SS[.fraction of its
// unit]; timestamp -> YYYY-MM-DDTHH:MM:SS[.fraction] plus "Z" when the field has a time zone;
// years outside 0000-9999 printed in full; duration -> integer; lists -> arrays; struct ->
// object; map -> [{"key":k,"value":v}]; dictionary -> decoded value.
//
// Text is appended directly to a std::string (no intermediate DOM). Strings (values, field
// names, metadata) go through core's AppendJsonString: invalid UTF-8 is replaced by U+FFFD (one
// per maximal ill-formed subpart) so the output is always valid JSON.
// Thread-safety: pure functions over immutable tables.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "dolphin/arrow/array.h"
#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/core/status.h"

namespace dolphin::arrow {

// Appends row `row` of batch `batch` as one JSON object, keys in schema order.
// REQUIRES: batch < table.batches.size(), 0 <= row < table.batches[batch].num_rows, and the
// table comes from the reader or the builders (validated).
void EncodeRowJson(const Table& table, size_t batch, int64_t row, std::string& out);

// Every row of every batch as JSON Lines (EncodeRowJson, then '\n'), stopping after the row that
// takes the text to `max_bytes` or more (a valid table can expand a lot on output).
std::string EncodeJsonLines(const Table& table, size_t max_bytes = SIZE_MAX);

// Appends one value (any type) of a validated (field, array) pair.
void EncodeValueJson(const Field& field, const Array& array, int64_t i, std::string& out);

// Appends the JSON value of column `column` at `row` of `batch` (same REQUIRES).
void EncodeCellJson(const Table& table, size_t batch, int column, int64_t row, std::string& out);

// Reads `path` (file or stream format) and writes one JSON object per row, one per line.
Status CatToJsonLines(const std::string& path, std::ostream& out,
                      const ReaderOptions& options = {});

// Writes the schema of `table` readably: format, version, each field with its type,
// nullability, dictionary encoding and metadata (children indented), then schema metadata.
void FormatSchema(const Table& table, std::ostream& out);
// Reads `path` and prints its schema with FormatSchema.
Status PrintSchema(const std::string& path, std::ostream& out, const ReaderOptions& options = {});

// `dolphin arrow cat|schema FILE`: args are the words after "arrow". Returns the exit code
// (0 ok, 1 bad file, 2 usage) after writing results to `out` and one-line errors to `err`.
int RunArrowCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dolphin::arrow
