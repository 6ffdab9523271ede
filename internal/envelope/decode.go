package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Envelope is a decoded envelope, for consumers and tests.
type Envelope struct {
	// Source is the configured name of the source cluster.
	Source string `json:"source"`
	// Schema and Table name the source table.
	Schema string `json:"schema"`
	Table  string `json:"table"`
	// Op is "insert", "update", "delete", "read" (a row a backfill copied
	// from its table: After only, applied like an insert), or OpDDL ("ddl")
	// on a control record: a table statement, described by DDL and the
	// fields after it.
	Op string `json:"op"`
	// DDL is, on a control record, what the statement did to the table:
	// "truncate", "drop", "rename" or "alter" (change.DDLKind).
	DDL string `json:"ddl,omitempty"`
	// NewSchema and NewTable name the table after a rename.
	NewSchema string `json:"new_schema,omitempty"`
	NewTable  string `json:"new_table,omitempty"`
	// Columns lists, for an alter, the columns dropped or retyped.
	Columns []string `json:"columns,omitempty"`
	// KeyChange is "delete-old" or "insert-new" on the two records of an
	// update that moved its row to another partition key (see KeyChange);
	// empty otherwise.
	KeyChange string `json:"key_change,omitempty"`
	// Key holds the primary key columns of the identifying image, or every
	// column when the table has no primary key.
	Key Image `json:"key"`
	// Before is the row before the change; nil for inserts and reads.
	Before Image `json:"before,omitempty"`
	// After is the row after the change; nil for deletes.
	After Image `json:"after,omitempty"`
	// Changed names the columns an update changed, in column order; nil
	// for inserts and deletes.
	Changed []string `json:"changed,omitempty"`
	// CommitTime is the source's commit time of the transaction.
	CommitTime time.Time `json:"commit_time"`
	// GTID identifies the transaction; empty without GTIDs.
	GTID string `json:"gtid,omitempty"`
	// Binlog is where the transaction begins in the source's binary log.
	Binlog Binlog `json:"binlog"`
	// Row is the index of the change within its transaction; a control
	// record is numbered after the transaction's row changes.
	Row int `json:"row"`
}

// Image maps column names to values: nil for NULL, json.Number for numbers,
// and string for everything else (base64 text for binary columns, the
// document text for JSON columns).
type Image map[string]any

// Binlog is a binary log file and offset.
type Binlog struct {
	// File is the binlog file name.
	File string `json:"file"`
	// Pos is the offset in File.
	Pos uint32 `json:"pos"`
}

// Decode parses one envelope. line may end with a newline; anything else
// after the object is an error.
func Decode(line []byte) (Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		return Envelope{}, fmt.Errorf("decoding envelope: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Envelope{}, errors.New("decoding envelope: data after the object")
	}
	switch e.Op {
	case "insert", "update", "delete", "read":
		if e.DDL != "" || e.NewSchema != "" || e.NewTable != "" || e.Columns != nil {
			return Envelope{}, fmt.Errorf("decoding envelope: table statement fields on op %q", e.Op)
		}
	case OpDDL:
		if err := checkControl(&e); err != nil {
			return Envelope{}, fmt.Errorf("decoding envelope: %w", err)
		}
		return e, nil
	default:
		return Envelope{}, fmt.Errorf("decoding envelope: unknown op %q", e.Op)
	}
	switch {
	case e.KeyChange == "":
	case e.KeyChange == DeleteOld.String() && e.Op == "delete", e.KeyChange == InsertNew.String() && e.Op == "insert":
	default:
		return Envelope{}, fmt.Errorf("decoding envelope: key_change %q on op %q", e.KeyChange, e.Op)
	}
	return e, nil
}

// checkControl reports what a control record lacks or has too much of.
func checkControl(e *Envelope) error {
	switch change.DDLKind(e.DDL) {
	case change.DDLTruncate, change.DDLDrop, change.DDLAlter:
	case change.DDLRename:
		if e.NewSchema == "" || e.NewTable == "" {
			return errors.New("rename record without new_schema and new_table")
		}
	default:
		return fmt.Errorf("unknown ddl %q", e.DDL)
	}
	if e.DDL != string(change.DDLRename) && (e.NewSchema != "" || e.NewTable != "") {
		return fmt.Errorf("new_schema or new_table on a %s record", e.DDL)
	}
	if e.DDL != string(change.DDLAlter) && e.Columns != nil {
		return fmt.Errorf("columns on a %s record", e.DDL)
	}
	if e.KeyChange != "" || e.Key != nil || e.Before != nil || e.After != nil || e.Changed != nil {
		return errors.New("row fields on a ddl record")
	}
	return nil
}
