package config

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/tributary-cdc/tributary/internal/keyexpr"
)

// Kinesis sink limits. The sink itself defaults zero fields: flush_interval
// 100ms, max_in_flight 4, max_buffered_bytes 64 MiB.
const (
	// MinKinesisFlushInterval and MaxKinesisFlushInterval bound
	// KinesisSink.FlushInterval.
	MinKinesisFlushInterval = time.Millisecond
	MaxKinesisFlushInterval = time.Minute
	// MaxKinesisInFlight caps KinesisSink.MaxInFlight.
	MaxKinesisInFlight = 64
	// MinKinesisBuffer is the least KinesisSink.MaxBufferedBytes: one
	// record of Kinesis's largest size.
	MinKinesisBuffer = 1 << 20
)

// KinesisSink sends every row change as a record to Kinesis Data Streams
// (see internal/sink/kinesis). Stream, PartitionKey, Aggregate, Oversize
// and DropColumns form the default route: tables no route matches take it,
// and a route's unset fields inherit them.
type KinesisSink struct {
	// Region is the AWS region of the streams (required). Credentials come
	// from the default chain (environment, shared files, instance role).
	Region string `yaml:"region"`
	// Endpoint overrides the Kinesis endpoint, for an emulator (optional).
	Endpoint string `yaml:"endpoint"`
	// Format of the records: "native" (default, Tributary's envelope) or
	// "dms" (the layout AWS DMS writes).
	Format string `yaml:"format"`
	// DMS tunes format dms (only allowed with it).
	DMS *KinesisDMS `yaml:"dms"`
	// Stream receives the tables no route matches; without it they are
	// not sent. Either Stream or Routes is required.
	Stream string `yaml:"stream"`
	// PartitionKey is "primary_key" (default), "table", "transaction",
	// "constant:VALUE" or "expression:EXPR" (expr-lang over the row's
	// columns and meta.source, meta.schema, meta.table, meta.op, meta.gtid).
	PartitionKey string `yaml:"partition_key"`
	// Aggregate packs consecutive records of one partition key into one
	// Kinesis record as JSON lines; worth it with coarse partition keys.
	Aggregate bool `yaml:"aggregate"`
	// Oversize is what a record over 1 MiB does: "fail" (default: it is
	// recorded in the failed store) or "drop_columns".
	Oversize string `yaml:"oversize"`
	// DropColumns lists the columns oversize drop_columns replaces by a
	// marker; an empty list ([]) means the largest values first.
	DropColumns []string `yaml:"drop_columns"`
	// Routes send tables elsewhere or differently; the first whose tables
	// pattern matches wins.
	Routes []KinesisRoute `yaml:"routes"`
	// FlushInterval is how long a record may wait for more to fill a
	// call (default 100ms).
	FlushInterval time.Duration `yaml:"flush_interval"`
	// MaxInFlight caps concurrent PutRecords calls (default 4).
	MaxInFlight uint16 `yaml:"max_in_flight"`
	// MaxBufferedBytes bounds the unacknowledged data; applying blocks
	// beyond it (default 67108864, 64 MiB).
	MaxBufferedBytes uint32 `yaml:"max_buffered_bytes"`
}

// KinesisDMS tunes the dms record format.
type KinesisDMS struct {
	// BeforeImage adds the before image of updates (default true).
	BeforeImage *bool `yaml:"before_image"`
	// BeforeImageField names it (default "before-image").
	BeforeImageField string `yaml:"before_image_field"`
	// TransactionDetails adds transaction-record-id and commit-timestamp
	// to the metadata.
	TransactionDetails bool `yaml:"transaction_details"`
}

// BeforeImageEnabled reports whether the before image is written: true
// unless set to false.
func (d *KinesisDMS) BeforeImageEnabled() bool {
	return d == nil || d.BeforeImage == nil || *d.BeforeImage
}

// KinesisRoute sends the changes of matching tables to a stream. Unset
// fields take the sink's.
type KinesisRoute struct {
	// Tables is a pattern on "schema.table" with * ? and [...] as in
	// shell globs ("shop.*"); required.
	Tables string `yaml:"tables"`
	// Stream receives the changes (required when the sink has none).
	Stream       string   `yaml:"stream"`
	PartitionKey string   `yaml:"partition_key"`
	Aggregate    *bool    `yaml:"aggregate"`
	Oversize     string   `yaml:"oversize"`
	DropColumns  []string `yaml:"drop_columns"`
}

// check reports the problems of the block at key.
func (k *KinesisSink) check(key string, p *collector) {
	if k.Region == "" {
		p.at(key+".region", "is required")
	}
	if k.Endpoint != "" {
		if u, err := url.Parse(k.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.at(key+".endpoint", "must be an http or https URL, for example http://127.0.0.1:4567")
		}
	}
	switch k.Format {
	case "", "native":
		if k.DMS != nil {
			p.at(key+".dms", "is only allowed with format dms")
		}
	case "dms":
		if k.DMS != nil {
			switch k.DMS.BeforeImageField {
			case "data", "metadata":
				p.at(key+".dms.before_image_field", "collides with the record's own field")
			}
		}
	default:
		p.at(key+".format", "must be native or dms")
	}
	if k.Stream == "" && len(k.Routes) == 0 {
		p.at(key, "either stream or routes is required")
	}
	// The sink's drop_columns serve the routes that inherit them too.
	effective := k.Oversize
	for _, r := range k.Routes {
		if r.Oversize == "drop_columns" && r.DropColumns == nil {
			effective = "drop_columns"
		}
	}
	checkKinesisRoute(key, k.PartitionKey, k.Oversize, effective, k.DropColumns, p)
	for i, r := range k.Routes {
		rkey := fmt.Sprintf("%s.routes[%d]", key, i)
		switch {
		case r.Tables == "":
			p.at(rkey+".tables", "is required")
		default:
			if _, err := path.Match(r.Tables, ""); err != nil {
				p.at(rkey+".tables", "invalid pattern: "+err.Error())
			}
		}
		if r.Stream == "" && k.Stream == "" {
			p.at(rkey+".stream", "is required when the sink has no stream")
		}
		effective := r.Oversize
		if effective == "" {
			effective = k.Oversize
		}
		checkKinesisRoute(rkey, r.PartitionKey, r.Oversize, effective, r.DropColumns, p)
	}
	if f := k.FlushInterval; f != 0 && (f < MinKinesisFlushInterval || f > MaxKinesisFlushInterval) {
		p.at(key+".flush_interval", fmt.Sprintf("must be between %s and %s", MinKinesisFlushInterval, MaxKinesisFlushInterval))
	}
	if k.MaxInFlight > MaxKinesisInFlight {
		p.at(key+".max_in_flight", fmt.Sprintf("must be between 1 and %d", MaxKinesisInFlight))
	}
	if b := k.MaxBufferedBytes; b != 0 && b < MinKinesisBuffer {
		p.at(key+".max_buffered_bytes", fmt.Sprintf("must be at least %d (1 MiB)", MinKinesisBuffer))
	}
}

// checkKinesisRoute reports problems of the fields a route shares with the
// sink; effective is the oversize policy that applies to it.
func checkKinesisRoute(key, partitionKey, oversize, effective string, drop []string, p *collector) {
	switch {
	case partitionKey == "", partitionKey == "primary_key", partitionKey == "table", partitionKey == "transaction":
	case strings.HasPrefix(partitionKey, "constant:") && len(partitionKey) > len("constant:"):
	case strings.HasPrefix(partitionKey, "expression:"):
		if _, err := keyexpr.Compile(strings.TrimPrefix(partitionKey, "expression:")); err != nil {
			p.at(key+".partition_key", "expression: "+err.Error())
		}
	default:
		p.at(key+".partition_key", "must be primary_key, table, transaction, constant:VALUE or expression:EXPR")
	}
	switch oversize {
	case "", "fail", "drop_columns":
	default:
		p.at(key+".oversize", "must be fail or drop_columns")
	}
	if drop != nil && effective != "drop_columns" {
		p.at(key+".drop_columns", "only applies with oversize drop_columns")
	}
}
