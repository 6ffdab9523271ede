// Package decode owns the conversion of go-mysql binlog row images into
// change values and the column metadata that describes them.
//
// A Decoder is built from one TableMapEvent. The table map says how each
// value is laid out; its optional metadata (binlog_row_metadata) adds column
// names, signedness, character sets, ENUM/SET member names and the primary
// key. Whatever the table map lacks comes from a fallback table, normally
// described by LoadTable from information_schema or from schema history.
//
// Two facts only a schema can tell:
//
//   - MariaDB stores JSON as LONGTEXT with a json_valid CHECK constraint,
//     so the table map shows a text column. With a fallback that says
//     KindJSON the column decodes to change.JSON; without one it decodes to
//     a KindString string holding the same text.
//   - With binlog_row_metadata=MINIMAL or NO_LOG the table map carries no
//     names, ENUM/SET members or primary key (and with NO_LOG no signedness
//     or character sets either), so a fallback is required.
//
// The parser or syncer must use the decoding options set by ConfigureSyncer
// or ConfigureParser, its flavor must match the server (MariaDB counts
// GEOMETRY among the character columns of the charset metadata), and the
// server must log full row images (binlog_row_image=FULL): a column left out
// of a row image arrives as nil and cannot be told from NULL.
package decode
