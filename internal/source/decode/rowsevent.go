package decode

import (
	"bytes"
	"slices"

	"github.com/go-mysql-org/go-mysql/replication"
)

// RowsDecodeFunc returns a go-mysql rows-event decoder (for
// BinlogSyncerConfig.RowsEventDecodeFunc or
// BinlogParser.SetRowsEventDecodeFunc) that decodes the rows of the tables
// include accepts, every table's when include is nil, and leaves the
// others' Rows nil after decoding their header only.
//
// It decodes integers without the table map's signedness: go-mysql would
// build a map of it for every row image, a fifth of the allocations of a
// stream of small transactions, and Decoder reads each UNSIGNED column's
// value from its signed bits anyway (see unsignedValue), knowing the
// signedness from the table map it was built with. The rows event gets a
// copy of its table map that holds only what the row images' layout
// needs, made once per table map layout (every transaction brings its own
// table map, usually the same as the last) and from fields that nothing writes after
// the parser filled them: the parser's own table map may meanwhile be read
// by the goroutine that builds decoders.
//
// Each returned function keeps the last copy, so it must serve one parser.
func RowsDecodeFunc(include func(schema, table string) bool) func(*replication.RowsEvent, []byte) error {
	var last, bare *replication.TableMapEvent
	return func(ev *replication.RowsEvent, data []byte) error {
		pos, err := ev.DecodeHeader(data)
		if err != nil {
			return err
		}
		t := ev.Table
		if t != nil && include != nil && !include(string(t.Schema), string(t.Table)) {
			return nil
		}
		if t != nil && len(t.SignednessBitmap) > 0 {
			if t != last {
				last = t
				if !sameLayout(bare, t) {
					bare = &replication.TableMapEvent{
						TableID: t.TableID, Flags: t.Flags, Schema: t.Schema, Table: t.Table,
						ColumnCount: t.ColumnCount, ColumnType: t.ColumnType, ColumnMeta: t.ColumnMeta, NullBitmap: t.NullBitmap,
					}
				}
			}
			ev.Table = bare
		}
		return ev.DecodeData(pos, data)
	}
}

// sameLayout reports whether the copy bare describes the rows of t: the
// same table, id and column types and metadata.
func sameLayout(bare, t *replication.TableMapEvent) bool {
	return bare != nil && bare.TableID == t.TableID && bare.ColumnCount == t.ColumnCount && bare.Flags == t.Flags &&
		bytes.Equal(bare.Schema, t.Schema) && bytes.Equal(bare.Table, t.Table) &&
		bytes.Equal(bare.ColumnType, t.ColumnType) && slices.Equal(bare.ColumnMeta, t.ColumnMeta) &&
		bytes.Equal(bare.NullBitmap, t.NullBitmap)
}
