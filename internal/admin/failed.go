package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
)

// ListFailed prints one line per recorded failed target operation, with
// the error's summary where the sink gave one: the whole error may quote
// row values, which only ShowFailed prints.
func ListFailed(cfg *config.Config, w io.Writer) error {
	store, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	failed, err := store.FailedChanges()
	if err != nil {
		return fmt.Errorf("reading failed changes: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAT\tSOURCE\tPOSITION\tTARGET\tOP\tERROR")
	for _, fc := range failed {
		text := fc.Error
		if fc.Summary != "" {
			text = fc.Summary
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", fc.ID, fc.At.UTC().Format(time.RFC3339), fc.Source,
			positionText(fc.Position, fc.GTID), fc.Target, fc.Op, text)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, plural(len(failed), "failed change", "failed changes"))
	return nil
}

// ShowFailed prints one failed operation in full, its row values included,
// as JSON for the operator who decides what to do with it.
func ShowFailed(cfg *config.Config, id uint64, w io.Writer) error {
	store, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	fc, err := store.FailedChange(id)
	if errors.Is(err, checkpoint.ErrNotFound) {
		return fmt.Errorf("no failed change with id %d (tributary failed list shows the recorded ones)", id)
	}
	if err != nil {
		return fmt.Errorf("reading failed change %d: %w", id, err)
	}
	values := make(map[string]any, len(fc.Columns))
	for i, c := range fc.Columns {
		values[c] = printable(fc.Values[i])
	}
	key := make([]any, len(fc.Key))
	for i, v := range fc.Key {
		key[i] = printable(v)
	}
	out := map[string]any{
		"id": fc.ID, "at": fc.At.UTC(), "source": fc.Source, "position": fc.Position, "gtid": fc.GTID,
		"target": fc.Target, "op": fc.Op, "key": key, "values": values, "error": fc.Error,
	}
	if fc.ConflictKey != nil {
		other := make([]any, len(fc.ConflictKey))
		for i, v := range fc.ConflictKey {
			other[i] = printable(v)
		}
		out["conflict_key"] = other
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func positionText(p change.Position, gtid string) string {
	if gtid != "" {
		return gtid
	}
	return fmt.Sprintf("%s:%d", p.File, p.Pos)
}

// printable turns a value into something JSON shows faithfully: bytes as
// base64 (encoding/json's default), everything else as it is.
func printable(v change.Value) any {
	switch v := v.(type) {
	case change.Decimal:
		return string(v)
	case change.Temporal:
		return string(v)
	case change.JSON:
		return string(v)
	}
	return v
}
