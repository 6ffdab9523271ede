package source

import (
	"fmt"

	"github.com/tributary-cdc/tributary/internal/problem"
)

// The values of Options.BackfillWatermarks.
const (
	// BackfillWatermarksTable writes a low and a high watermark row per
	// chunk into tributary.backfill_watermarks on the source's writer.
	BackfillWatermarksTable = "table"
	// BackfillWatermarksGTID writes nothing: a chunk's low and high
	// watermarks are GTID sets read before and after the chunk.
	BackfillWatermarksGTID = "gtid"
)

// checkBackfillRead reports a watermark mode that is none of the known
// ones, a read host the mode cannot use, and parallel workers with GTID
// watermarks (a source copies one chunk at a time with them).
func (s *Options) checkBackfillRead(r problem.Reporter) {
	switch s.BackfillWatermarks {
	case "", BackfillWatermarksTable, BackfillWatermarksGTID:
	default:
		r.At("backfill_watermarks", fmt.Sprintf("must be %s or %s", BackfillWatermarksTable, BackfillWatermarksGTID))
	}
	if s.BackfillReadHost != "" && s.BackfillWatermarks != BackfillWatermarksGTID {
		r.At("backfill_read_host", "needs backfill_watermarks: gtid (table watermarks are written to the writer, "+
			"and a chunk must then be read where they were written)")
	}
	if s.BackfillReadHost != "" && (s.TLS.Mode != "" || s.PasswordFile != "" || s.PasswordSecret != "" || s.IAMAuth) {
		r.At("backfill_read_host", "cannot be combined yet with tls, password_file, password_secret or iam_auth "+
			"(the read host is reached with the source's user and password_env only, without TLS)")
	}
	if s.BackfillReadPort != 0 && s.BackfillReadHost == "" {
		r.At("backfill_read_port", "needs backfill_read_host")
	}
	if s.BackfillWatermarks == BackfillWatermarksGTID && s.BackfillWorkers > 1 {
		r.At("backfill_workers", "must be 1 with backfill_watermarks: gtid (a source with GTID watermarks "+
			"copies one chunk at a time; leave it unset)")
	}
}

// BackfillWatermarkMode returns the backfill's watermark mode, the
// default filled in.
func (s Options) BackfillWatermarkMode() string {
	if s.BackfillWatermarks == "" {
		return BackfillWatermarksTable
	}
	return s.BackfillWatermarks
}

// BackfillReadDSN returns the DSN (as DSN does) of the server a backfill
// reads its chunks from: the read host when one is set, with the source's
// user, password and parameters; else "", the source itself.
func (s Options) BackfillReadDSN(database string) string {
	if s.BackfillReadHost == "" {
		return ""
	}
	r := s
	r.Host, r.Port = s.BackfillReadHost, s.BackfillReadPort
	if r.Port == 0 {
		r.Port = s.Port
	}
	return r.DSN(database)
}
