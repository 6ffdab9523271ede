// Package dms owns the "dms" record format: one row change as the JSON that
// AWS DMS writes to a Kinesis data stream, so consumers of a DMS stream keep
// working when Tributary fills it.
//
// A record is {"data":{...},["before-image":{...},]"metadata":{...}} with
// the metadata fields in DMS's order. Where DMS's output and Tributary's
// native envelope differ on a value, this package follows DMS: DECIMAL is a
// JSON number with the column's exact digits. Elsewhere values are encoded
// as the envelope encodes them: integers (uint64 too) and floats as numbers,
// DATE/TIME/DATETIME/TIMESTAMP as strings in MySQL's text form
// ("2026-11-21 08:15:02.381466"), JSON columns as a string holding the
// document (as DMS does), binary columns (BINARY, VARBINARY, BLOB, GEOMETRY)
// as base64 strings, and NULL as null. Every column is written, NULL and
// empty ones included (DMS's IncludeNullAndEmpty), unless
// Options.OmitNullAndEmpty leaves them out as DMS's default does.
//
// Unlike DMS, LOB columns are written in full (DMS caps them at 1 MB on
// Kinesis) and are kept in the before image (DMS leaves them out).
//
// A table statement that can make a consumer's copy diverge (TRUNCATE,
// DROP, RENAME, an ALTER that drops or retypes columns) is a control
// record, {"control":{...},"metadata":{... "record-type":"control" ...}},
// as DMS writes for table changes (see AppendControl); a table's
// definition is a create-table control record (AppendCreateTable).
//
// Options mirror the DMS settings that shape a record: BeforeImageSettings
// (EnableBeforeImage, FieldName, ColumnFilter), IncludeTransactionDetails,
// IncludePartitionValue, PartitionIncludeSchemaTable. The fields and value
// shapes are held to records real DMS tasks wrote (testdata/
// dms-task-records.jsonl and its note). Stream positions and DMS's
// recovery checkpoints are read by ParseStopPosition (see position.go).
package dms
