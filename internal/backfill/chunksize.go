package backfill

import "time"

// MinChunkRows is the fewest rows the adaptive chunk size goes down to
// (or the starting size, when that is smaller): below it the watermark
// writes would cost more than the reads.
const MinChunkRows = 100

// chunkSizer adapts a table's chunk size so that reading one chunk takes
// about target: the size grows while reads are quick and shrinks while
// they are slow, by at most a factor of two per chunk, between min and
// max. A target of zero keeps the starting size.
type chunkSizer struct {
	rows, min, max int
	target         time.Duration
}

// newChunkSizer starts at rows, adapting between min(rows, MinChunkRows)
// and most.
func newChunkSizer(rows, most int, target time.Duration) *chunkSizer {
	return &chunkSizer{rows: rows, min: min(rows, MinChunkRows), max: max(most, rows), target: target}
}

// observe takes the time a read of n rows took. Only a full chunk says
// how long the size takes: a short one is the table's last.
func (s *chunkSizer) observe(n int, took time.Duration) {
	if s.target <= 0 || n < s.rows || took <= 0 {
		return
	}
	f := float64(s.target) / float64(took)
	f = min(max(f, 0.5), 2)
	s.rows = min(max(int(float64(s.rows)*f), s.min), s.max)
}

// limit caps the size at most (when positive): a chunk larger than a
// second of the rate cap would copy in bursts.
func (s *chunkSizer) limit(most int) {
	if most > 0 {
		s.max = max(min(s.max, most), s.min)
		s.rows = min(s.rows, s.max)
	}
}
