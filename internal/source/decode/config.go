package decode

import (
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
)

// ConfigureSyncer sets the value-decoding options of cfg that Decoder relies
// on: DECIMAL as exact text, temporal values as text with TIMESTAMP rendered
// in UTC, floats as float32/float64, and JSON as MySQL prints it; rows are
// decoded by RowsDecodeFunc(include).
func ConfigureSyncer(cfg *replication.BinlogSyncerConfig, include func(schema, table string) bool) {
	cfg.UseDecimal = false
	cfg.ParseTime = false
	cfg.TimestampStringLocation = time.UTC
	cfg.UseFloatWithTrailingZero = false
	cfg.RenderJSONAsMySQLText = true
	cfg.RowsEventDecodeFunc = RowsDecodeFunc(include)
}

// ConfigureParser sets on p the same decoding options as ConfigureSyncer,
// for reading binlog files directly.
func ConfigureParser(p *replication.BinlogParser) {
	p.SetUseDecimal(false)
	p.SetParseTime(false)
	p.SetTimestampStringLocation(time.UTC)
	p.SetUseFloatWithTrailingZero(false)
	p.SetRenderJSONAsMySQLText(true)
	p.SetIgnoreJSONDecodeError(false)
	p.SetRowsEventDecodeFunc(RowsDecodeFunc(nil))
}
