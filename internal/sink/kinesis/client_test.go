package kinesis

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/aws/smithy-go/logging"
	"github.com/stretchr/testify/require"
)

func TestSDKMessagesGoToTheServiceLogger(t *testing.T) {
	var out bytes.Buffer
	l := sdkLogger{slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Logf(logging.Warn, "checksum %s skipped", "crc32")
	l.Logf(logging.Debug, "request %d", 7)
	require.Equal(t, 2, bytes.Count(out.Bytes(), []byte("\n")))
	require.Contains(t, out.String(), `"level":"WARN","msg":"checksum crc32 skipped","component":"aws-sdk"`)
	require.Contains(t, out.String(), `"level":"DEBUG","msg":"request 7"`)
}
