package kinesis

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// markerHead and markerTail surround the size in the marker that stands
// for a dropped value.
const (
	markerHead = `{"tributary_dropped":true,"bytes":`
	markerTail = `}`
)

// encoder turns changes into record data for one route's format.
type encoder struct {
	format string
	// token starts the placeholder string that stands for a dropped value
	// until the record is encoded: the prefix and a random nonce, then the
	// value's size. It is plain ASCII, so both formats write it as it is
	// between quotes, and no value can hold it by chance.
	token string
}

func newEncoder(format string) *encoder {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:]) // crypto/rand.Read never fails
	return &encoder{format: format, token: "tributary-dropped-" + hex.EncodeToString(nonce[:]) + "-"}
}

// appendRecord appends the record of txn.Changes[i], row being its index in
// the whole transaction. k says which half of a split key-changing update
// the change is (see split.go); the dms layout has no field for it, and
// at what else the dms layout's metadata says.
func (e *encoder) appendRecord(dst []byte, txn *change.Txn, i, row int, at dms.Context, r *route, k envelope.KeyChange) []byte {
	if e.format == FormatDMS {
		return dms.AppendAfter(dst, txn, i, row, at, r.dms)
	}
	return envelope.AppendKeyChange(dst, txn, i, row, k)
}

// shrink returns the record of txn.Changes[i] with column values replaced
// by markers so that, with keyLen bytes of partition key, it fits
// MaxRecordBytes, and whether it does; size is the length of the full
// record. Listed columns (r.drop) are all
// replaced at once; without a list the largest values go first, one at a
// time. Primary key columns are never replaced.
func (e *encoder) shrink(dst []byte, txn *change.Txn, i, row int, at dms.Context, r *route, k envelope.KeyChange, keyLen, size int) ([]byte, bool) {
	c := txn.Changes[i] // a copy: the images are replaced below, not changed
	c.Before, c.After = slices.Clone(c.Before), slices.Clone(c.After)
	one := *txn
	one.Changes = []change.RowChange{c}
	images := []change.Row{one.Changes[0].Before, one.Changes[0].After}
	// drop replaces the values of col and returns about how many bytes
	// that saves.
	drop := func(col int) int {
		saved := 0
		for _, img := range images {
			if col < len(img) && img[col] != nil {
				n := valueBytes(img[col])
				saved += encodedBytes(img[col]) - len(markerHead) - len(markerTail) - len(strconv.Itoa(n))
				img[col] = e.token + strconv.Itoa(n)
			}
		}
		return saved
	}
	encode := func() ([]byte, bool) {
		dst = e.replaceTokens(e.appendRecord(dst[:0], &one, 0, row, at, r, k))
		return dst, len(dst)+keyLen <= MaxRecordBytes
	}
	if len(r.drop) > 0 {
		for _, name := range r.drop {
			if col := c.Table.ColumnIndex(name); col >= 0 && !slices.Contains(c.Table.PrimaryKey, col) {
				drop(col)
			}
		}
		return encode()
	}
	type candidate struct{ col, size int }
	var cands []candidate
	for col := range c.Table.Columns {
		if slices.Contains(c.Table.PrimaryKey, col) {
			continue
		}
		n := 0
		for _, img := range images {
			if col < len(img) && img[col] != nil {
				n += encodedBytes(img[col])
			}
		}
		if n > len(markerHead)+len(markerTail)+20 {
			cands = append(cands, candidate{col, n})
		}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return cmp.Compare(b.size, a.size) })
	// Drop by estimate, then encode to check; text with many escapes may
	// need more columns than the estimate says.
	excess := size + keyLen - MaxRecordBytes
	for len(cands) > 0 {
		for len(cands) > 0 && excess > 0 {
			excess -= drop(cands[0].col)
			cands = cands[1:]
		}
		if out, ok := encode(); ok {
			return out, true
		}
		excess = len(dst) + keyLen - MaxRecordBytes
	}
	return encode()
}

// replaceTokens replaces every quoted placeholder in b by its marker.
func (e *encoder) replaceTokens(b []byte) []byte {
	quoted := []byte(`"` + e.token)
	if !bytes.Contains(b, quoted) {
		return b
	}
	out := make([]byte, 0, len(b))
	for {
		j := bytes.Index(b, quoted)
		if j < 0 {
			return append(out, b...)
		}
		out = append(out, b[:j]...)
		b = b[j+len(quoted):]
		end := bytes.IndexByte(b, '"')
		out = append(out, markerHead...)
		out = append(out, b[:end]...)
		out = append(out, markerTail...)
		b = b[end+1:]
	}
}

// encodedBytes estimates the JSON text of v: quoted base64 for bytes,
// quoted text for strings.
func encodedBytes(v change.Value) int {
	if b, ok := v.([]byte); ok {
		return (len(b)+2)/3*4 + 2
	}
	return valueBytes(v) + 2
}

// valueBytes is the size of v that a marker reports: the bytes of text and
// binary values, the length of the text form of others.
func valueBytes(v change.Value) int {
	switch v := v.(type) {
	case nil:
		return 0
	case []byte:
		return len(v)
	case string:
		return len(v)
	case change.JSON:
		return len(v)
	case change.Decimal:
		return len(v)
	case change.Temporal:
		return len(v)
	}
	return len(fmt.Sprint(v))
}
