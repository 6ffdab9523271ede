package mysql

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// canary is a row value that a target's message quotes.
const canary = "canary-5d1e9b"

// signalDDL makes a target whose trigger refuses some rows with a message
// that quotes one of their values.
var signalDDL = []string{
	"CREATE TABLE tgt.notes (id INT PRIMARY KEY, comment VARCHAR(64))",
	// SIGNAL takes a variable or a literal, not an expression.
	`CREATE TRIGGER tgt.notes_check BEFORE INSERT ON tgt.notes FOR EACH ROW BEGIN
	   DECLARE msg VARCHAR(128) DEFAULT CONCAT('rejected ', NEW.comment);
	   IF NEW.comment LIKE 'canary%' THEN
	     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;
	   END IF;
	 END`,
}

// TestTargetMessagesStayOutOfLogs applies a row the target's trigger
// refuses with a message quoting the row: neither the logs nor the errors
// the sink returns hold the message, which only the failed-changes store
// keeps.
func TestTargetMessagesStayOutOfLogs(t *testing.T) {
	tg := startTarget(t, signalDDL...)
	notes := table("notes", "id")
	cols := []string{"id", "comment"}
	// Two operations in one batch: the batch fails, then each is applied
	// alone, so both the batch's and the operation's errors are logged.
	refused := txn(1, upsert(notes, cols, int64(1), "fine"), upsert(notes, cols, int64(2), canary))

	for _, policy := range []string{OnErrorRecord, OnErrorHalt} {
		t.Run(policy, func(t *testing.T) {
			tg.srv.Exec(t, "DELETE FROM tgt.notes")
			var logs testenv.LogBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			store, err := checkpoint.Open(t.TempDir(), nil)
			require.NoError(t, err)
			defer func() { require.NoError(t, store.Close()) }()
			s := tg.sink(t, Options{Workers: 1, OnError: policy, Failed: store, Logger: log})
			ctx := context.Background()

			var errs []error
			errs = append(errs, s.Apply(ctx, refused), s.Flush(ctx), s.Apply(ctx, txn(2)), s.Flush(ctx))
			require.Equal(t, []string{"1|fine"}, tg.dump(t, "SELECT * FROM notes"))
			require.Contains(t, logs.String(), "error 1644 (45000): message withheld")
			require.NotContains(t, logs.String(), canary)
			for _, err := range errs {
				if err != nil {
					require.NotContains(t, err.Error(), canary)
				}
			}

			failed, err := store.FailedChanges()
			require.NoError(t, err)
			if policy == OnErrorHalt {
				require.ErrorIs(t, errs[1], ErrPermanent)
				require.ErrorContains(t, errs[1], "applying upsert to tgt.notes")
				require.ErrorContains(t, errs[1], "error 1644 (45000): message withheld")
				require.Empty(t, failed)
				return
			}
			for _, err := range errs {
				require.NoError(t, err)
			}
			require.Len(t, failed, 1)
			require.Equal(t, []change.Value{int64(2)}, failed[0].Key)
			require.Contains(t, failed[0].Error, "Error 1644 (45000): rejected "+canary)
			require.Equal(t, "error 1644 (45000): message withheld", failed[0].Summary)
		})
	}
}
