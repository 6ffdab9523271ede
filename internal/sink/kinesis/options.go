package kinesis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/dms"
	"github.com/tributary-cdc/tributary/internal/keyexpr"
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
)

// FailedStore keeps changes that could not be sent.
type FailedStore interface {
	// RecordFailed stores fc durably and returns its id.
	RecordFailed(fc checkpoint.FailedChange) (uint64, error)
}

var _ FailedStore = (*checkpoint.Store)(nil)

// PutRecordsAPI is the one Kinesis call the sink makes; *kinesis.Client
// implements it.
type PutRecordsAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

var _ PutRecordsAPI = (*kinesis.Client)(nil)

// Options configure a Sink. Zero fields take their defaults. The fields
// Stream to DropColumns form the default route: changes of tables that no
// entry of Routes matches take it, and a route's empty fields inherit them.
type Options struct {
	// Region is the AWS region (required unless Client is set).
	Region string
	// Endpoint overrides the Kinesis endpoint (an emulator); empty means
	// the region's.
	Endpoint string
	// Format is FormatNative (default) or FormatDMS.
	Format string
	// DMS tunes the dms layout. PartitionKeyType is set per route from its
	// partition key.
	DMS dms.Options
	// Stream is the stream of changes that no route matches; when empty
	// such changes are not sent.
	Stream string
	// PartitionKey is PartitionKeyPrimaryKey (default), PartitionKeyTable,
	// PartitionKeyTransaction or PartitionKeyConstant followed by the key.
	PartitionKey string
	// Aggregate packs consecutive records of one partition key into one
	// Kinesis record as JSON lines.
	Aggregate bool
	// Oversize is OversizeFail (default) or OversizeDropColumns.
	Oversize string
	// DropColumns names the columns OversizeDropColumns replaces; empty
	// means the largest values first, whichever columns they are in.
	DropColumns []string
	// Routes send tables elsewhere or differently; the first whose Tables
	// pattern matches a change's table wins.
	Routes []Route
	// FlushInterval is how long a record may wait for others to fill a
	// call; default DefaultFlushInterval.
	FlushInterval time.Duration
	// MaxInFlight caps concurrent PutRecords calls; default
	// DefaultMaxInFlight.
	MaxInFlight int
	// MaxBufferedBytes bounds unacknowledged data: Apply blocks while more
	// is outstanding. Default DefaultMaxBufferedBytes.
	MaxBufferedBytes int64
	// Failed receives oversize changes; without it an oversize change
	// stops the sink.
	Failed FailedStore
	// Logger receives retries and failures, never row values; nil discards.
	Logger *slog.Logger

	// Client, when set, is used as it is: Region, Endpoint, Credentials
	// and ClientOptions are ignored. Its retries add to the sink's own.
	Client PutRecordsAPI
	// Credentials replace the default credential chain.
	Credentials aws.CredentialsProvider
	// ClientOptions are applied last to the client the sink builds (an
	// HTTP client for tests, for example).
	ClientOptions []func(*kinesis.Options)

	// maxBackoff lowers the retry backoff's cap, for tests.
	maxBackoff time.Duration
}

// Route sends the changes of matching tables to a stream. Empty fields
// take the value of the Options field of the same name.
type Route struct {
	// Tables is a path.Match pattern on "schema.table" ("shop.*").
	Tables string
	// Stream receives the changes.
	Stream string
	// PartitionKey is as Options.PartitionKey.
	PartitionKey string
	// Aggregate is as Options.Aggregate; nil inherits it.
	Aggregate *bool
	// Oversize is as Options.Oversize.
	Oversize string
	// DropColumns is as Options.DropColumns: nil inherits; an empty
	// non-nil list means the largest values first.
	DropColumns []string
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

// validate reports every problem of o at once.
func (o *Options) validate() error {
	var errs []error
	if o.Client == nil && o.Region == "" {
		errs = append(errs, errors.New("Region is required"))
	}
	if o.Format != FormatNative && o.Format != FormatDMS {
		errs = append(errs, fmt.Errorf("Format is %q, want %s or %s", o.Format, FormatNative, FormatDMS))
	}
	if o.Format == FormatDMS {
		if err := o.DMS.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Stream == "" && len(o.Routes) == 0 {
		errs = append(errs, errors.New("Stream or Routes is required"))
	}
	errs = append(errs, checkPartitionKey("PartitionKey", o.PartitionKey))
	errs = append(errs, checkOversize("Oversize", o.Oversize))
	for i, r := range o.Routes {
		name := fmt.Sprintf("Routes[%d]", i)
		if r.Tables == "" {
			errs = append(errs, fmt.Errorf("%s.Tables is required", name))
		} else if _, err := path.Match(r.Tables, ""); err != nil {
			errs = append(errs, fmt.Errorf("%s.Tables %q: %w", name, r.Tables, err))
		}
		if r.Stream == "" && o.Stream == "" {
			errs = append(errs, fmt.Errorf("%s.Stream is required without Stream", name))
		}
		if r.PartitionKey != "" {
			errs = append(errs, checkPartitionKey(name+".PartitionKey", r.PartitionKey))
		}
		if r.Oversize != "" {
			errs = append(errs, checkOversize(name+".Oversize", r.Oversize))
		}
	}
	if o.FlushInterval < 0 {
		errs = append(errs, fmt.Errorf("FlushInterval is %s, want more than 0", o.FlushInterval))
	}
	if o.MaxInFlight < 0 {
		errs = append(errs, fmt.Errorf("MaxInFlight is %d, want at least 1", o.MaxInFlight))
	}
	if o.MaxBufferedBytes < MaxRecordBytes {
		errs = append(errs, fmt.Errorf("MaxBufferedBytes is %d, want at least %d", o.MaxBufferedBytes, MaxRecordBytes))
	}
	return errors.Join(errs...)
}

func checkPartitionKey(field, pk string) error {
	switch {
	case pk == PartitionKeyPrimaryKey, pk == PartitionKeyTable, pk == PartitionKeyTransaction:
		return nil
	case strings.HasPrefix(pk, PartitionKeyConstant) && len(pk) > len(PartitionKeyConstant):
		return nil
	case strings.HasPrefix(pk, PartitionKeyExpression):
		if _, err := keyexpr.Compile(strings.TrimPrefix(pk, PartitionKeyExpression)); err != nil {
			return fmt.Errorf("%s: compiling the expression: %w", field, err)
		}
		return nil
	}
	return fmt.Errorf("%s is %q, want %s, %s, %s, %sVALUE or %sEXPRESSION", field, pk,
		PartitionKeyPrimaryKey, PartitionKeyTable, PartitionKeyTransaction, PartitionKeyConstant, PartitionKeyExpression)
}

func checkOversize(field, policy string) error {
	if policy == OversizeFail || policy == OversizeDropColumns {
		return nil
	}
	return fmt.Errorf("%s is %q, want %s or %s", field, policy, OversizeFail, OversizeDropColumns)
}
