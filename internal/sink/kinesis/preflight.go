package kinesis

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// StreamDescriber is what Preflight asks Kinesis; *kinesis.Client
// implements it.
type StreamDescriber interface {
	DescribeStreamSummary(ctx context.Context, in *kinesis.DescribeStreamSummaryInput, optFns ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error)
}

var _ StreamDescriber = (*kinesis.Client)(nil)

// Preflight checks, before anything is sent, that every stream the sink
// routes to exists and can take records (active or being updated), with
// every problem at once. A client that cannot describe streams skips it.
func (s *Sink) Preflight(ctx context.Context) error {
	api, ok := s.api.(StreamDescriber)
	if !ok {
		return nil
	}
	var streams []string
	for _, r := range s.routes {
		if r.stream != "" && !slices.Contains(streams, r.stream) {
			streams = append(streams, r.stream)
		}
	}
	var errs []error
	for _, name := range streams {
		out, err := api.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		var api smithy.APIError
		switch {
		case errors.As(err, new(*types.ResourceNotFoundException)):
			errs = append(errs, fmt.Errorf("kinesis stream %s does not exist in region %s", name, s.opts.Region))
		case errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException":
			errs = append(errs, fmt.Errorf("kinesis stream %s: not allowed to describe it (grant kinesis:DescribeStreamSummary and kinesis:PutRecords): %s",
				name, api.ErrorMessage()))
		case err != nil:
			errs = append(errs, fmt.Errorf("describing kinesis stream %s: %w", name, err))
		default:
			switch st := out.StreamDescriptionSummary.StreamStatus; st {
			case types.StreamStatusActive, types.StreamStatusUpdating:
			default:
				errs = append(errs, fmt.Errorf("kinesis stream %s is %s, not ACTIVE", name, st))
			}
		}
	}
	return errors.Join(errs...)
}
