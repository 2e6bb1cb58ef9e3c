// Numbers of the Arrow IPC FlatBuffers metadata (Schema.fbs, Message.fbs, File.fbs), written down
// from the format specification: vtable slots of each table and enum values we use.
#pragma once

#include <cstdint>

namespace dolphin::arrow::format {

// union Type
enum TypeTag : uint8_t {
  kTypeNone = 0,
  kTypeNull = 1,
  kTypeInt = 2,
  kTypeFloatingPoint = 3,
  kTypeBinary = 4,
  kTypeUtf8 = 5,
  kTypeBool = 6,
  kTypeDecimal = 7,
  kTypeDate = 8,
  kTypeTime = 9,
  kTypeTimestamp = 10,
  kTypeInterval = 11,
  kTypeList = 12,
  kTypeStruct = 13,
  kTypeUnion = 14,
  kTypeFixedSizeBinary = 15,
  kTypeFixedSizeList = 16,
  kTypeMap = 17,
  kTypeDuration = 18,
  kTypeLargeBinary = 19,
  kTypeLargeUtf8 = 20,
  kTypeLargeList = 21,
  kTypeRunEndEncoded = 22,
  kTypeBinaryView = 23,
  kTypeUtf8View = 24,
  kTypeListView = 25,
  kTypeLargeListView = 26,
};

// union MessageHeader
enum HeaderTag : uint8_t {
  kHeaderSchema = 1,
  kHeaderDictionaryBatch = 2,
  kHeaderRecordBatch = 3,
  kHeaderTensor = 4,
  kHeaderSparseTensor = 5,
};

// table Message
constexpr int kMessageVersion = 0, kMessageHeaderType = 1, kMessageHeader = 2,
              kMessageBodyLength = 3, kMessageCustomMetadata = 4;
// table Schema
constexpr int kSchemaEndianness = 0, kSchemaFields = 1, kSchemaCustomMetadata = 2;
// table Field
constexpr int kFieldName = 0, kFieldNullable = 1, kFieldTypeType = 2, kFieldType = 3,
              kFieldDictionary = 4, kFieldChildren = 5, kFieldCustomMetadata = 6;
// table DictionaryEncoding
constexpr int kDictId = 0, kDictIndexType = 1, kDictIsOrdered = 2;
// table KeyValue
constexpr int kKey = 0, kValue = 1;
// table RecordBatch
constexpr int kBatchLength = 0, kBatchNodes = 1, kBatchBuffers = 2, kBatchCompression = 3,
              kBatchVariadicCounts = 4;
// table BodyCompression
constexpr int kCompressionCodec = 0, kCompressionMethod = 1;
// table DictionaryBatch
constexpr int kDictBatchId = 0, kDictBatchData = 1, kDictBatchIsDelta = 2;
// table Footer
constexpr int kFooterVersion = 0, kFooterSchema = 1, kFooterDictionaries = 2,
              kFooterRecordBatches = 3, kFooterCustomMetadata = 4;
// Type parameter tables: slot 0 (and 1).
constexpr int kIntBitWidth = 0, kIntIsSigned = 1;
constexpr int kFloatPrecision = 0;
constexpr int kDateUnit = 0;
constexpr int kTimeUnit = 0, kTimeBitWidth = 1;
constexpr int kTimestampUnit = 0, kTimestampTimezone = 1;
constexpr int kDurationUnit = 0;
constexpr int kFixedSizeBinaryWidth = 0;
constexpr int kFixedSizeListSize = 0;
constexpr int kMapKeysSorted = 0;

// Structs: FieldNode {length: long, null_count: long}, Buffer {offset: long, length: long},
// Block {offset: long, metaDataLength: int, (pad), bodyLength: long}.
constexpr size_t kFieldNodeSize = 16;
constexpr size_t kBufferSize = 16;
constexpr size_t kBlockSize = 24;

constexpr int16_t kVersionV1 = 0;  // also what an unset version field reads as
constexpr int16_t kVersionV4 = 3;
constexpr int16_t kVersionV5 = 4;

constexpr uint32_t kContinuation = 0xFFFFFFFFu;

}  // namespace dolphin::arrow::format
