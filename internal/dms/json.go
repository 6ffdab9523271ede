package dms

import (
	"time"

	"github.com/tributary-cdc/tributary/internal/envelope"
)

// appendString appends s as a JSON string, exactly as the envelope does.
func appendString(dst []byte, s string) []byte { return envelope.AppendString(dst, s) }

// appendTime appends t as a quoted RFC 3339 UTC timestamp with six
// fractional digits ("2026-11-21T08:15:02.381466Z"), DMS's metadata
// timestamp layout, which is also the envelope's.
func appendTime(dst []byte, t time.Time) []byte { return envelope.AppendTime(dst, t) }
