package kinesis

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
)

// Record formats.
const (
	// FormatNative writes the envelope of package envelope.
	FormatNative = "native"
	// FormatDMS writes the layout of package dms.
	FormatDMS = "dms"
)

// Partition key kinds; PartitionKeyConstant is a prefix followed by the
// key, PartitionKeyExpression one followed by an expression.
const (
	PartitionKeyPrimaryKey  = "primary_key"
	PartitionKeyTable       = "table"
	PartitionKeyTransaction = "transaction"
	PartitionKeyConstant    = "constant:"
	PartitionKeyExpression  = "expression:"
)

// Oversize policies for a record over MaxRecordBytes.
const (
	// OversizeFail records the change in the failed store and goes on.
	OversizeFail = "fail"
	// OversizeDropColumns replaces column values by a marker until the
	// record fits, then falls back to OversizeFail.
	OversizeDropColumns = "drop_columns"
)

// Kinesis's limits and the defaults of Options.
const (
	// MaxRecordBytes is the most one record may hold, data and partition
	// key together.
	MaxRecordBytes = 1 << 20
	// MaxBatchRecords and MaxBatchBytes bound one PutRecords call.
	MaxBatchRecords = 500
	MaxBatchBytes   = 5 << 20
	// MaxPartitionKeyBytes is the longest partition key sent as it is;
	// longer ones are hashed (see package doc).
	MaxPartitionKeyBytes = 256

	DefaultFlushInterval    = 100 * time.Millisecond
	DefaultMaxInFlight      = 4
	DefaultMaxBufferedBytes = 64 << 20

	// MinFlushInterval and MaxFlushInterval bound Options.FlushInterval.
	MinFlushInterval = time.Millisecond
	MaxFlushInterval = time.Minute
	// MaxInFlightLimit caps Options.MaxInFlight.
	MaxInFlightLimit = 64
)

// FailedStore keeps changes that could not be sent.
type FailedStore interface {
	// RecordFailed stores fc durably and returns its id.
	RecordFailed(fc change.FailedChange) (uint64, error)
}

// PutRecordsAPI is the one Kinesis call the sink makes; *kinesis.Client
// implements it.
type PutRecordsAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

var _ PutRecordsAPI = (*kinesis.Client)(nil)

// Options configure a Sink; they are also the sink's block of the service
// configuration (sinks[].kinesis), so each setting is declared, documented,
// defaulted and checked here only. Zero fields take their defaults. The
// fields Stream to DropColumns form the default route: changes of tables
// that no entry of Routes matches take it, and a route's empty fields
// inherit them.
type Options struct {
	// Region is the AWS region of the streams (required unless Client is
	// set). Credentials come from the default chain (environment, shared
	// files, instance role) unless Credentials is set.
	Region string `yaml:"region"`
	// Endpoint overrides the Kinesis endpoint, for an emulator; empty
	// means the region's.
	Endpoint string `yaml:"endpoint"`
	// Format of the records: FormatNative (default, the envelope of
	// package envelope) or FormatDMS (the layout AWS DMS writes).
	Format string `yaml:"format"`
	// DMS tunes format dms (only allowed with it); nil means its defaults.
	DMS *DMSOptions `yaml:"dms"`
	// Stream receives the changes of tables no route matches; without it
	// they are not sent. Either Stream or Routes is required.
	Stream string `yaml:"stream"`
	// PartitionKey is PartitionKeyPrimaryKey (default), PartitionKeyTable,
	// PartitionKeyTransaction, PartitionKeyConstant followed by the key, or
	// PartitionKeyExpression followed by an expr-lang expression over the
	// row's columns and meta.source, meta.schema, meta.table, meta.op,
	// meta.gtid.
	PartitionKey string `yaml:"partition_key"`
	// Aggregate packs consecutive records of one partition key into one
	// Kinesis record as JSON lines; worth it with coarse partition keys.
	Aggregate bool `yaml:"aggregate"`
	// Oversize is what a record over MaxRecordBytes does: OversizeFail
	// (default: it is recorded in the failed store) or OversizeDropColumns.
	Oversize string `yaml:"oversize"`
	// DropColumns names the columns OversizeDropColumns replaces by a
	// marker; an empty non-nil list ([]) means the largest values first,
	// whichever columns they are in.
	DropColumns []string `yaml:"drop_columns"`
	// Routes send tables elsewhere or differently; the first whose Tables
	// pattern matches a change's table wins.
	Routes []Route `yaml:"routes"`
	// FlushInterval is how long a record may wait for others to fill a
	// call: default DefaultFlushInterval, between MinFlushInterval and
	// MaxFlushInterval.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// MaxInFlight caps concurrent PutRecords calls: default
	// DefaultMaxInFlight, at most MaxInFlightLimit.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxBufferedBytes bounds unacknowledged data: Apply blocks while more
	// is outstanding. Default DefaultMaxBufferedBytes, at least
	// MaxRecordBytes.
	MaxBufferedBytes int64 `yaml:"max_buffered_bytes"`

	// Failed receives oversize changes; without it an oversize change
	// stops the sink.
	Failed FailedStore `yaml:"-"`
	// Logger receives retries and failures, never row values; nil discards.
	Logger *slog.Logger `yaml:"-"`

	// Client, when set, is used as it is: Region, Endpoint, Credentials
	// and ClientOptions are ignored. Its retries add to the sink's own.
	Client PutRecordsAPI `yaml:"-"`
	// Credentials replace the default credential chain.
	Credentials aws.CredentialsProvider `yaml:"-"`
	// ClientOptions are applied last to the client the sink builds (an
	// HTTP client for tests, for example).
	ClientOptions []func(*kinesis.Options) `yaml:"-"`

	// maxBackoff lowers the retry backoff's cap, for tests.
	maxBackoff time.Duration
}

// DMSOptions tune the dms record format. Each setting stands for the DMS
// task or endpoint setting named in its comment, so a DMS task's settings
// carry over one to one.
type DMSOptions struct {
	// BeforeImage adds the before image of updates (BeforeImageSettings
	// EnableBeforeImage; default true).
	BeforeImage *bool `yaml:"before_image"`
	// BeforeImageField names it (BeforeImageSettings FieldName; default
	// dms.DefaultBeforeImageField).
	BeforeImageField string `yaml:"before_image_field"`
	// ColumnFilter picks its columns (BeforeImageSettings ColumnFilter):
	// pk-only, non-lob or all (default all; DMS's default is pk-only).
	ColumnFilter string `yaml:"column_filter"`
	// TransactionDetails adds transaction-record-id (from 1),
	// prev-transaction-id, prev-transaction-record-id, commit-timestamp and
	// stream-position to the metadata (IncludeTransactionDetails).
	TransactionDetails bool `yaml:"transaction_details"`
	// PartitionValue adds partition-key-value, unless the partition key
	// type is schema-table (IncludePartitionValue).
	PartitionValue bool `yaml:"partition_value"`
	// PartitionIncludeSchemaTable prefixes primary key partition values
	// with "schema.table." (PartitionIncludeSchemaTable).
	PartitionIncludeSchemaTable bool `yaml:"partition_include_schema_table"`
	// ControlDetails sends a create-table control record, with the
	// table's columns and primary key, before the first record of each
	// table the sink sends after it starts, as DMS does when its task
	// starts (IncludeControlDetails).
	ControlDetails bool `yaml:"control_details"`
	// TaskID is the partition-key-value of control records (DMS writes its
	// task's id); default dms.DefaultTaskID.
	TaskID string `yaml:"task_id"`
	// TableAlterOperations sends the control records of DROP, RENAME and
	// column-changing ALTER statements (IncludeTableAlterOperations);
	// default true, unlike DMS. TRUNCATE's are sent either way: they
	// change rows, not the table.
	TableAlterOperations *bool `yaml:"table_alter_operations"`
	// IncludeNullAndEmpty writes NULL values and empty strings in data and
	// before images (IncludeNullAndEmpty); default true, unlike DMS,
	// whose records leave them out by default.
	IncludeNullAndEmpty *bool `yaml:"include_null_and_empty"`
}

// encoder returns the dms layout's options; the partition key type is set
// per route.
func (d *DMSOptions) encoder() dms.Options {
	if d == nil {
		return dms.Options{BeforeImage: true}
	}
	return dms.Options{BeforeImage: d.BeforeImage == nil || *d.BeforeImage,
		BeforeImageField: d.BeforeImageField, ColumnFilter: d.ColumnFilter,
		TransactionDetails: d.TransactionDetails, PartitionValue: d.PartitionValue,
		PartitionIncludeSchemaTable: d.PartitionIncludeSchemaTable, TaskID: d.TaskID,
		OmitNullAndEmpty: d.IncludeNullAndEmpty != nil && !*d.IncludeNullAndEmpty}
}

// controlDetails reports whether create-table records are sent.
func (d *DMSOptions) controlDetails() bool { return d != nil && d.ControlDetails }

// tableAlterOperations reports whether the control records of DROP,
// RENAME and ALTER statements are sent.
func (d *DMSOptions) tableAlterOperations() bool {
	return d == nil || d.TableAlterOperations == nil || *d.TableAlterOperations
}

// Route sends the changes of matching tables to a stream. Empty fields
// take the value of the Options field of the same name.
type Route struct {
	// Tables is a path.Match pattern on "schema.table" with * ? and [...]
	// as in shell globs ("shop.*"); required.
	Tables string `yaml:"tables"`
	// Stream receives the changes (required when the sink has none).
	Stream string `yaml:"stream"`
	// PartitionKey is as Options.PartitionKey.
	PartitionKey string `yaml:"partition_key"`
	// Aggregate is as Options.Aggregate; nil inherits it.
	Aggregate *bool `yaml:"aggregate"`
	// Oversize is as Options.Oversize.
	Oversize string `yaml:"oversize"`
	// DropColumns is as Options.DropColumns: nil inherits; an empty
	// non-nil list means the largest values first.
	DropColumns []string `yaml:"drop_columns"`
}

// ensureDefaults fills zero fields.
func (o *Options) ensureDefaults() {
	if o.Format == "" {
		o.Format = FormatNative
	}
	if o.PartitionKey == "" {
		o.PartitionKey = PartitionKeyPrimaryKey
	}
	if o.Oversize == "" {
		o.Oversize = OversizeFail
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxBufferedBytes == 0 {
		o.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}
