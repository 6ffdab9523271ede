package loadgen

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// Column size caps of the demo schema, in bytes.
const (
	blobMax       = 1<<16 - 1
	textMax       = 1<<16 - 1
	mediumTextMax = 1<<24 - 1
)

// words mixes 1-, 2-, 3- and 4-byte UTF-8 so that every text column carries
// characters outside the BMP (utf8mb4 only) next to plain ASCII.
var words = []string{
	"miso", "ramen", "dashi", "tofu", "soy", "rice", "salt", "simmer", "bake", "stir",
	"crème", "brûlée", "jalapeño", "façade", "smörgås",
	"味噌", "ラーメン", "出汁", "豆腐", "焼き", "おいしい",
	"🍜", "🍣", "😋", "🥢", "🍱", "𩸽", "🧂",
}

var locales = []string{"ja-JP", "en-US", "en-GB", "fr-FR", "es-ES", "zh-Hant-TW", "pt-BR"}

// gen draws the workload's values from one worker's random source.
type gen struct {
	rng    *rand.Rand
	maxLOB int
}

// chance returns true with probability p.
func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// between returns an int in [lo, hi].
func (g *gen) between(lo, hi int) int { return lo + g.rng.IntN(hi-lo+1) }

// text returns words up to limit bytes, cut on a rune boundary.
func (g *gen) text(limit int) string {
	if limit <= 0 {
		return ""
	}
	var b strings.Builder
	for b.Len() < limit {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[g.rng.IntN(len(words))])
	}
	s := b.String()
	if len(s) <= limit {
		return s
	}
	s = s[:limit]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// lobSize returns a size for a large value capped by column: often small,
// sometimes close to the cap, now and then zero.
func (g *gen) lobSize(column int) int {
	limit := min(g.maxLOB, column)
	switch r := g.rng.Float64(); {
	case r < 0.05:
		return 0
	case r < 0.6:
		return g.between(1, min(limit, 512))
	default:
		u := g.rng.Float64()
		return max(1, int(u*u*float64(limit)))
	}
}

// lobText returns a text value for a column capped at column bytes; nil
// (NULL) with probability pNull.
func (g *gen) lobText(column int, pNull float64) any {
	if g.chance(pNull) {
		return nil
	}
	return g.text(g.lobSize(column))
}

// blob returns random bytes for a BLOB column; nil (NULL) with probability
// pNull.
func (g *gen) blob(pNull float64) any {
	if g.chance(pNull) {
		return nil
	}
	b := make([]byte, g.lobSize(blobMax))
	for i := range b {
		b[i] = byte(g.rng.UintN(256))
	}
	return b
}

// short returns text of 1 to limit bytes, limit being at most the column's
// character length so it always fits.
func (g *gen) short(limit int) string {
	s := g.text(g.between(1, limit))
	if s == "" {
		return "x"
	}
	return s
}

// locale returns a locale name or nil.
func (g *gen) locale() any {
	if g.chance(0.2) {
		return nil
	}
	return locales[g.rng.IntN(len(locales))]
}

// metadata returns a JSON document for cooksnaps.metadata, nil (NULL) or
// now and then the JSON literal null.
func (g *gen) metadata() any {
	switch r := g.rng.Float64(); {
	case r < 0.15:
		return nil
	case r < 0.2:
		return "null"
	}
	doc := map[string]any{
		"rating":  g.between(1, 5),
		"device":  []string{"ios", "android", "web"}[g.rng.IntN(3)],
		"likes":   g.rng.Int64N(1 << 53),
		"ratio":   g.rng.Float64(),
		"edited":  g.chance(0.3),
		"caption": g.short(60),
		"tags":    []string{g.short(12), g.short(12)},
		"note":    nil,
	}
	if g.chance(0.3) {
		doc["nested"] = map[string]any{"a": []any{1, "two", 3.5, nil, true}, "b": map[string]any{}}
	}
	out, _ := json.Marshal(doc) // marshals plain maps, slices and scalars only
	return string(out)
}

// agoMicros returns a random age in microseconds, up to about three years.
func (g *gen) agoMicros() int64 { return g.rng.Int64N(3 * 365 * 24 * 3600 * 1_000_000) }
