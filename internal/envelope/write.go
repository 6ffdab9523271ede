package envelope

import (
	"encoding/base64"
	"io"
	"unicode/utf8"

	"github.com/tributary-cdc/tributary/internal/change"
)

// bigValue is the size above which Write streams a value to the writer in
// chunks instead of building it in memory: a 64 MiB BLOB would otherwise
// need its 85 MiB of base64 in one buffer, and more while it grows.
const bigValue = 64 << 10

// chunk is how much of a big value is encoded at a time; a multiple of 3
// so base64 chunks concatenate to the base64 of the whole.
const chunk = 48 << 10

// Write writes the envelope of txn.Changes[i] and a newline to w, as Append
// would produce it, using buf as scratch space; it returns buf for reuse.
// Values larger than 64 KiB are encoded and written in chunks, so memory
// stays bounded whatever the size of a row's LOBs.
func Write(w io.Writer, buf []byte, txn *change.Txn, i int, row int) ([]byte, error) {
	s := &stream{w: w}
	buf = appendEnvelope(buf[:0], txn, i, row, WholeChange, s)
	buf = append(buf, '\n')
	s.write(buf)
	return buf[:0], s.err
}

// stream writes big values through to w; a nil *stream keeps everything in
// the buffer (Append).
type stream struct {
	w       io.Writer
	err     error
	scratch []byte
}

func (s *stream) write(p []byte) {
	if s.err == nil {
		_, s.err = s.w.Write(p)
	}
}

// isBig reports whether v is worth streaming.
func isBig(v change.Value) bool {
	switch v := v.(type) {
	case []byte:
		return len(v) > bigValue
	case string:
		return len(v) > bigValue
	case change.JSON:
		return len(v) > bigValue
	}
	return false
}

// value writes dst and then v to the writer in chunks, and returns dst
// emptied for what follows.
func (s *stream) value(dst []byte, v change.Value) []byte {
	s.write(dst)
	dst = dst[:0]
	s.write([]byte{'"'})
	switch v := v.(type) {
	case []byte:
		for len(v) > 0 {
			n := min(chunk, len(v))
			s.scratch = base64.StdEncoding.AppendEncode(s.scratch[:0], v[:n])
			s.write(s.scratch)
			v = v[n:]
		}
	case string:
		s.text(v)
	case change.JSON:
		s.text(string(v))
	}
	s.write([]byte{'"'})
	return dst
}

// text writes the escaped body of a JSON string in chunks cut at rune
// starts, so no character is split between two chunks.
func (s *stream) text(v string) {
	for len(v) > 0 {
		n := min(chunk, len(v))
		for n < len(v) && n > chunk-utf8.UTFMax && !utf8.RuneStart(v[n]) {
			n--
		}
		s.scratch = appendString(s.scratch[:0], v[:n])
		s.write(s.scratch[1 : len(s.scratch)-1])
		v = v[n:]
	}
}
