package admin

import (
	"errors"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/dms"
)

// dmsStart returns where a source goes on after a DMS task (or a
// Tributary dms stream) stopped: after the task's recovery checkpoint
// (spec.FromDMS) or after the transaction of the last record its consumer
// took (spec.DMSStreamPosition), the later of the two when both are
// given, since records the consumer took must not be sent again. current
// is a binlog file name of the server, to expand DMS's abbreviated "$."
// file names. It also returns a line saying what it chose.
func dmsStart(spec CheckpointSpec, current string) (dms.StopPosition, string, error) {
	var at dms.StopPosition
	var from string
	for _, in := range []struct{ flag, value string }{
		{"--from-dms", spec.FromDMS}, {"--dms-stream-position", spec.DMSStreamPosition},
	} {
		if in.value == "" {
			continue
		}
		p, err := dms.ParseStopPosition(in.value)
		if err == nil {
			err = p.Resolve(current)
		}
		if err != nil {
			return dms.StopPosition{}, "", fmt.Errorf("reading %s: %w", in.flag, err)
		}
		if from == "" || at.Before(p) {
			at, from = p, in.flag
		}
	}
	if from == "" {
		return dms.StopPosition{}, "", errors.New("give --from-dms or --dms-stream-position")
	}
	note := fmt.Sprintf("%s: going on at %s, from %s", spec.Source, at, from)
	if at.BeginFile != "" {
		note += fmt.Sprintf(" (after the transaction that began at %s:%d)", at.BeginFile, at.BeginPos)
	}
	return at, note, nil
}
