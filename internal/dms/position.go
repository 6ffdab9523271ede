package dms

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Stream positions.
//
// A DMS task with a MySQL source records where its change capture stopped
// as a recovery checkpoint (DescribeReplicationTasks' RecoveryCheckpoint),
// which it also takes back as CdcStartPosition:
//
//	checkpoint:V1#27#mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876#0#0#*#0#93
//
// Its third "#" field is the position: the binlog file and offset of the
// last commit it applied (1975), -1, the offset of the event after that
// commit (2002, where reading goes on), the transaction's id, and the file
// and offset where that transaction began (1876). The file may be written
// "$.583860", "$" standing for the binlog's base name. DMS also takes a
// bare "file:offset" as CdcStartPosition.
//
// Tributary's "stream-position" uses the same position form, so either
// can be handed back: a transaction's last record on a stream names the
// position after the transaction (its second and fourth fields are the
// offset after the commit); every other record names the transaction's
// start, from which reading it again loses nothing (see Context).

// ErrBadPosition is wrapped by the errors of ParseStopPosition.
var ErrBadPosition = errors.New("unrecognised dms position")

// StreamPosition returns the "stream-position" of a record of txn; final
// says it is the transaction's last record. It is "" when txn has no
// begin position.
func StreamPosition(txn *change.Txn, final bool) string {
	return string(appendPosition(nil, txn, final))
}

// appendStreamPosition appends StreamPosition(txn, final) as a JSON
// string.
func appendStreamPosition(dst []byte, txn *change.Txn, final bool) []byte {
	if !plain(txn.Begin.File) || !plain(txn.End.File) {
		return appendString(dst, StreamPosition(txn, final))
	}
	dst = append(dst, '"')
	dst = appendPosition(dst, txn, final)
	return append(dst, '"')
}

// appendPosition appends the position text of StreamPosition.
func appendPosition(dst []byte, txn *change.Txn, final bool) []byte {
	if txn.Begin.File == "" {
		return dst
	}
	at := txn.Begin
	if final && txn.Last && txn.End.File != "" {
		at = txn.End
	}
	dst = append(dst, at.File...)
	dst = append(dst, ':')
	dst = strconv.AppendUint(dst, uint64(at.Pos), 10)
	dst = append(dst, ":-1:"...)
	dst = strconv.AppendUint(dst, uint64(at.Pos), 10)
	dst = append(dst, ':')
	dst = strconv.AppendUint(dst, TransactionID(txn), 10)
	dst = append(dst, ':')
	dst = append(dst, txn.Begin.File...)
	dst = append(dst, ':')
	return strconv.AppendUint(dst, uint64(txn.Begin.Pos), 10)
}

// plain reports whether s needs no escaping in a JSON string.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// StopPosition is where reading goes on after a DMS task, a Tributary
// dms stream or a consumer of either stopped.
type StopPosition struct {
	// File and Pos are the binlog file and offset to read from: the event
	// after the last one applied. File may start with "$." (see
	// Resolve).
	File string
	Pos  uint32
	// BeginFile and BeginPos are where the last applied transaction
	// began, when the position says.
	BeginFile string
	BeginPos  uint32
}

// String returns "file:pos".
func (p StopPosition) String() string { return p.File + ":" + strconv.FormatUint(uint64(p.Pos), 10) }

// Before reports whether p is before q in the same server's binary log;
// binlog file names of one server have zero-padded numbers of one width,
// so they order as text.
func (p StopPosition) Before(q StopPosition) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	return p.Pos < q.Pos
}

// ParseStopPosition reads a DMS recovery checkpoint ("checkpoint:V1#..."),
// a position in its form (a record's "stream-position"), or a bare
// "file:offset", and returns where reading goes on (see above).
func ParseStopPosition(s string) (StopPosition, error) {
	s = strings.TrimSpace(s)
	token := s
	if rest, ok := strings.CutPrefix(s, "checkpoint:"); ok {
		fields := strings.Split(rest, "#")
		if len(fields) < 3 || !strings.HasPrefix(fields[0], "V") {
			return StopPosition{}, fmt.Errorf("%w: checkpoint %q: want checkpoint:V1#N#file:offset:...#...", ErrBadPosition, s)
		}
		token = fields[2]
	}
	parts := strings.Split(token, ":")
	switch {
	case len(parts) == 2:
		pos, err := offset(parts[1])
		if err != nil || parts[0] == "" {
			return StopPosition{}, fmt.Errorf("%w: %q: want file:offset", ErrBadPosition, s)
		}
		return StopPosition{File: parts[0], Pos: pos}, nil
	case len(parts) >= 4:
		commit, err1 := offset(parts[1])
		next, err2 := offset(parts[3])
		if parts[0] == "" || err1 != nil || err2 != nil || next < commit {
			return StopPosition{}, fmt.Errorf("%w: %q: want file:commit-offset:-1:next-offset[:id:begin-file:begin-offset]", ErrBadPosition, s)
		}
		p := StopPosition{File: parts[0], Pos: next}
		if len(parts) >= 7 {
			begin, err := offset(parts[6])
			if err != nil || parts[5] == "" {
				return StopPosition{}, fmt.Errorf("%w: %q: the transaction's begin position %q is not file:offset", ErrBadPosition, s, parts[5]+":"+parts[6])
			}
			p.BeginFile, p.BeginPos = parts[5], begin
			if p.BeginFile == p.File && begin > commit {
				return StopPosition{}, fmt.Errorf("%w: %q: the transaction begins after its commit", ErrBadPosition, s)
			}
		}
		return p, nil
	}
	return StopPosition{}, fmt.Errorf("%w: %q: want a DMS checkpoint (checkpoint:V1#...), a stream-position or file:offset", ErrBadPosition, s)
}

// Resolve replaces the "$" that stands for the binlog's base name in an
// abbreviated file name ("$.583860") by the base name of current, a file
// name of the same server ("mysql-bin-changelog.583901").
func (p *StopPosition) Resolve(current string) error {
	for _, f := range []*string{&p.File, &p.BeginFile} {
		rest, ok := strings.CutPrefix(*f, "$.")
		if !ok {
			continue
		}
		dot := strings.LastIndexByte(current, '.')
		if dot <= 0 {
			return fmt.Errorf("%w: cannot expand %q: the server's binlog file %q has no base name", ErrBadPosition, *f, current)
		}
		*f = current[:dot+1] + rest
	}
	return nil
}

func offset(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}
