package decode

import (
	"bytes"
	"slices"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
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
// signedness from the table map it was built with. And it has go-mysql
// read DATE, TIME2, DATETIME2 and TIMESTAMP2 columns as BIT columns of
// their width, which Decoder prints itself (see packed.go). The rows event
// gets a copy of its table map that holds only what the row images'
// layout needs, with those types replaced, made once per table and layout
// (every statement brings its own table map, usually the same as that
// table's last) and from fields that nothing writes after the parser
// filled them: the parser's own table map may meanwhile be read by the
// goroutine that builds decoders.
//
// Each returned function keeps the copies of up to maxBareMaps tables, so
// it must serve one parser.
func RowsDecodeFunc(include func(schema, table string) bool) func(*replication.RowsEvent, []byte) error {
	var last, lastBare *replication.TableMapEvent
	// copies holds, by table id, the table map a copy was made from and
	// the copy, nil when that table map needs none.
	copies := map[uint64][2]*replication.TableMapEvent{}
	return func(ev *replication.RowsEvent, data []byte) error {
		pos, err := ev.DecodeHeader(data)
		if err != nil {
			return err
		}
		t := ev.Table
		if t != nil && include != nil && !include(string(t.Schema), string(t.Table)) {
			return nil
		}
		if t != nil {
			if t != last {
				c, ok := copies[t.TableID]
				if !ok || !sameLayout(c[0], t) {
					if len(copies) >= maxBareMaps {
						clear(copies) // table ids change with every DDL
					}
					c = [2]*replication.TableMapEvent{t, bareTableMap(t)}
					copies[t.TableID] = c
				}
				last, lastBare = t, c[1]
			}
			if lastBare != nil {
				ev.Table = lastBare
			}
		}
		return ev.DecodeData(pos, data)
	}
}

// maxBareMaps bounds the tables whose table map copies RowsDecodeFunc
// keeps.
const maxBareMaps = 256

// bareTableMap returns the copy of t that RowsDecodeFunc decodes with, or
// nil when t has neither signedness nor packed temporal columns.
func bareTableMap(t *replication.TableMapEvent) *replication.TableMapEvent {
	var types []byte
	var meta []uint16
	for i, typ := range t.ColumnType {
		if i >= len(t.ColumnMeta) {
			break // go-mysql reports the malformed table map
		}
		width, ok := packedWidth(typ, t.ColumnMeta[i])
		if !ok {
			continue
		}
		if types == nil {
			types, meta = slices.Clone(t.ColumnType), slices.Clone(t.ColumnMeta)
		}
		// BIT of width bytes: go-mysql reads them as one big-endian
		// integer, the same bytes the temporal value takes.
		types[i], meta[i] = gomysql.MYSQL_TYPE_BIT, uint16(width)<<8
	}
	if types == nil {
		if len(t.SignednessBitmap) == 0 {
			return nil
		}
		types, meta = t.ColumnType, t.ColumnMeta
	}
	return &replication.TableMapEvent{
		TableID: t.TableID, Flags: t.Flags, Schema: t.Schema, Table: t.Table,
		ColumnCount: t.ColumnCount, ColumnType: types, ColumnMeta: meta, NullBitmap: t.NullBitmap,
	}
}

// sameLayout reports whether from and t describe rows alike: the same
// table, id and column types and metadata, and signedness given or not.
func sameLayout(from, t *replication.TableMapEvent) bool {
	return from != nil && from.TableID == t.TableID && from.ColumnCount == t.ColumnCount && from.Flags == t.Flags &&
		bytes.Equal(from.Schema, t.Schema) && bytes.Equal(from.Table, t.Table) &&
		bytes.Equal(from.ColumnType, t.ColumnType) && slices.Equal(from.ColumnMeta, t.ColumnMeta) &&
		bytes.Equal(from.NullBitmap, t.NullBitmap) && (len(from.SignednessBitmap) == 0) == (len(t.SignednessBitmap) == 0)
}
