package decode

import (
	"fmt"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// temporalValue returns a DATE, TIME, DATETIME or TIMESTAMP value as text
// with exactly fsp fractional digits. go-mysql prints TIME without a
// fraction when the fraction is zero ("-838:59:59" for TIME(6)), so the
// digits are completed here; zero dates are kept as they come.
func temporalValue(v any, fsp int) (change.Temporal, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("unexpected %T for a temporal column (is the parser set up with ConfigureParser?)", v)
	}
	return Temporal(s, fsp), nil
}

// Temporal returns a temporal value in the server's text form as the
// decoder writes it: its fractional seconds padded with zeros or cut to
// exactly fsp digits (none, and no dot, for fsp 0). Lookups use it for
// values the server prints, so both paths yield identical values.
func Temporal(s string, fsp int) change.Temporal {
	return change.Temporal(withFSP(s, fsp))
}

func withFSP(s string, fsp int) string {
	whole, frac, _ := strings.Cut(s, ".")
	if fsp <= 0 {
		return whole
	}
	if len(frac) >= fsp {
		return whole + "." + frac[:fsp]
	}
	return whole + "." + frac + strings.Repeat("0", fsp-len(frac))
}
