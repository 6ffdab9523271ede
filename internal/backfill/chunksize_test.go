package backfill

import (
	"testing"
	"time"
)

func TestChunkSizer(t *testing.T) {
	type read struct {
		n    int
		took time.Duration
	}
	tests := []struct {
		name      string
		rows, max int
		target    time.Duration
		limit     int
		reads     []read
		want      int
	}{
		{"quick reads double up to the max", 1000, 5000, 500 * time.Millisecond, 0,
			[]read{{1000, 10 * time.Millisecond}, {2000, 10 * time.Millisecond}, {4000, 10 * time.Millisecond}}, 5000},
		{"a read on target keeps the size", 1000, 5000, 500 * time.Millisecond, 0,
			[]read{{1000, 500 * time.Millisecond}}, 1000},
		{"a read twice as slow halves it", 1000, 5000, 500 * time.Millisecond, 0,
			[]read{{1000, time.Second}}, 500},
		{"a very slow read halves it only", 1000, 5000, 500 * time.Millisecond, 0,
			[]read{{1000, time.Minute}}, 500},
		{"slow reads stop at the min", 1000, 5000, 500 * time.Millisecond, 0,
			[]read{{1000, time.Minute}, {500, time.Minute}, {250, time.Minute}, {125, time.Minute}}, MinChunkRows},
		{"a start below the min is the min", 10, 5000, 500 * time.Millisecond, 0,
			[]read{{10, time.Minute}}, 10},
		{"a short last chunk changes nothing", 1000, 5000, 500 * time.Millisecond, 0,
			[]read{{3, time.Microsecond}}, 1000},
		{"no target keeps the size", 1000, 5000, 0, 0,
			[]read{{1000, time.Microsecond}}, 1000},
		{"a max equal to the start fixes it", 1000, 1000, 500 * time.Millisecond, 0,
			[]read{{1000, time.Microsecond}}, 1000},
		{"the rate cap caps it", 1000, 5000, 500 * time.Millisecond, 1500,
			[]read{{1000, time.Microsecond}, {1500, time.Microsecond}}, 1500},
		{"a rate cap below the start lowers it", 1000, 5000, 500 * time.Millisecond, 200,
			nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newChunkSizer(tt.rows, tt.max, tt.target)
			s.limit(tt.limit)
			for _, r := range tt.reads {
				s.observe(r.n, r.took)
			}
			if s.rows != tt.want {
				t.Errorf("rows = %d, want %d", s.rows, tt.want)
			}
		})
	}
}
