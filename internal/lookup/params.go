package lookup

import (
	"github.com/tributary-cdc/tributary/internal/change"
)

// hasNull reports whether a parameter set holds a NULL, which equals
// nothing, so the set matches no row without asking the server.
func hasNull(vals []change.Value) bool {
	for _, v := range vals {
		if v == nil {
			return true
		}
	}
	return false
}
