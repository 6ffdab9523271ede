package kinesis

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go/logging"
)

// newClient builds the Kinesis client of o and returns it with a function
// that closes its idle connections.
//
// The SDK's own retries are off (aws.NopRetryer): the sink retries every
// failed call and record itself, without a retry quota that can run dry,
// and keeps a key's records in order while doing so.
func newClient(ctx context.Context, o *Options) (PutRecordsAPI, func(), error) {
	loads := []func(*config.LoadOptions) error{
		config.WithRegion(o.Region),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithLogger(sdkLogger{o.Logger}),
	}
	if o.Credentials != nil {
		loads = append(loads, config.WithCredentialsProvider(o.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, nil, fmt.Errorf("loading AWS configuration for the kinesis sink: %w", err)
	}
	// Fail at startup rather than at the first call when no credentials
	// can be found.
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, nil, fmt.Errorf("resolving AWS credentials for the kinesis sink: %w", err)
	}
	// A transport of our own, with what the configuration put in the
	// SDK's (a CA bundle from AWS_CA_BUNDLE), so Close can drop its idle
	// connections.
	var tr *http.Transport
	if bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
		tr = bc.GetTransport()
	} else {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr.MaxIdleConnsPerHost = o.MaxInFlight + 1
	hc := &http.Client{Transport: tr}
	optFns := []func(*kinesis.Options){func(ko *kinesis.Options) {
		ko.HTTPClient = hc
		if o.Endpoint != "" {
			ko.BaseEndpoint = aws.String(o.Endpoint)
		}
	}}
	return kinesis.NewFromConfig(cfg, append(optFns, o.ClientOptions...)...), tr.CloseIdleConnections, nil
}

// sdkLogger hands the AWS SDK's own messages (deprecations, checksum
// warnings) to the service's logger, in its format, rather than to
// standard error.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	level := slog.LevelDebug
	if c == logging.Warn {
		level = slog.LevelWarn
	}
	l.log.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "aws-sdk")
}
