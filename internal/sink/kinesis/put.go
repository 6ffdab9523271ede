package kinesis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
	"github.com/tributary-cdc/tributary/internal/retry"
)

// Backoff bounds of retries, and the longest one call may take.
const (
	minBackoff  = 50 * time.Millisecond
	maxBackoff  = 5 * time.Second
	callTimeout = time.Minute
)

// StreamError stops the sink: Kinesis refused a call for a reason that
// retrying does not fix (a missing stream, missing permissions, a request
// it calls invalid). The records it held stay unacknowledged.
type StreamError struct {
	Stream string
	// Code is the AWS error code; Message its text, left empty for
	// validation errors, whose text may quote partition keys.
	Code, Message string
}

func (e *StreamError) Error() string {
	msg := fmt.Sprintf("putting records to kinesis stream %s: %s", e.Stream, e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// callFault says what a failed call means for its records.
type callFault uint8

const (
	faultRetry     callFault = iota // try again after a backoff
	faultPermanent                  // stop the sink
	faultTooLarge                   // a record or the call is over Kinesis's size limits
)

// permanentCodes are the error codes of calls that retrying cannot fix.
var permanentCodes = map[string]bool{
	"ResourceNotFoundException": true, "AccessDeniedException": true,
	"KMSDisabledException": true, "KMSInvalidStateException": true, "KMSNotFoundException": true,
	"KMSAccessDeniedException": true, "KMSOptInRequired": true,
	"UnrecognizedClientException": true, "InvalidSignatureException": true, "IncompleteSignature": true,
	"MissingAuthenticationToken": true, "InvalidClientTokenId": true, "OptInRequired": true,
	"ValidationException": true, "InvalidArgumentException": true,
}

// classify tells how to handle the error of a whole call.
func classify(err error) (callFault, string, string) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return faultRetry, "", ""
	}
	code, msg := apiErr.ErrorCode(), apiErr.ErrorMessage()
	switch {
	case !permanentCodes[code]:
		return faultRetry, code, msg
	case code == "ValidationException" || code == "InvalidArgumentException":
		// Kinesis says "Member must have length less than or equal to
		// 1048576" of one record's data, "Records size exceeds 5 MB limit"
		// of the call.
		if strings.Contains(msg, "1048576") || strings.Contains(msg, "size exceeds") {
			return faultTooLarge, code, ""
		}
		return faultPermanent, code, ""
	}
	return faultPermanent, code, msg
}

// backoff returns the pause after the given attempt (from 1) of a call or
// a key: a random duration up to minBackoff doubled per attempt, capped at
// maxBackoff (or the cap tests set), so keys throttled together do not
// come back together.
func (s *Sink) backoff(attempt int) time.Duration {
	limit := maxBackoff
	if s.opts.maxBackoff > 0 {
		limit = s.opts.maxBackoff
	}
	return retry.Backoff{Min: minBackoff, Max: limit}.Delay(attempt)
}

// put makes one PutRecords call and settles its records.
func (s *Sink) put(ctx context.Context, b *batch) {
	defer s.wg.Done()
	in := &kinesis.PutRecordsInput{
		StreamName: aws.String(b.stream.name),
		Records:    make([]types.PutRecordsRequestEntry, len(b.entries)),
	}
	for i, e := range b.entries {
		in.Records[i] = types.PutRecordsRequestEntry{Data: e.data, PartitionKey: aws.String(e.q.pk)}
		if e.q.hashKey != "" {
			in.Records[i].ExplicitHashKey = aws.String(e.q.hashKey)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	out, err := s.api.PutRecords(cctx, in)
	cancel()
	if err == nil && len(out.Records) != len(b.entries) {
		err = fmt.Errorf("response holds %d results for %d records", len(out.Records), len(b.entries))
	}

	s.mu.Lock()
	defer func() {
		s.mu.inFlight--
		s.broadcastLocked()
		s.mu.Unlock()
		s.signal()
	}()
	if ctx.Err() != nil {
		return // closing: the records stay unacknowledged
	}
	now := time.Now()
	if err != nil {
		s.callFailedLocked(b, err, now)
		return
	}
	s.mu.callFailures = 0
	var failed map[string]int
	for i, r := range out.Records {
		e := b.entries[i]
		if r.ErrorCode == nil {
			s.sent.Add(sentLocked(e.q.recs[:e.n]))
			s.ackLocked(e.q, e.n)
			continue
		}
		if failed == nil {
			failed = map[string]int{}
		}
		failed[aws.ToString(r.ErrorCode)]++
		if isThrottle(aws.ToString(r.ErrorCode)) {
			s.throttled.Add(b.stream.name, 1)
		}
		s.retried.Add(1)
		s.retryLocked(e.q, e.n, now)
	}
	if failed != nil {
		s.log.Debug("kinesis refused some records; retrying them", "stream", b.stream.name,
			"records", len(b.entries), "failed", failed)
	}
}

// callFailedLocked settles the records of a call that failed as a whole.
func (s *Sink) callFailedLocked(b *batch, err error, now time.Time) {
	fault, code, msg := classify(err)
	switch fault {
	case faultPermanent:
		s.haltLocked(&StreamError{Stream: b.stream.name, Code: code, Message: msg})
		return
	case faultTooLarge:
		if len(b.entries) == 1 && b.entries[0].n == 1 {
			s.refusedLocked(b.entries[0].q, code)
			return
		}
		// Send each record alone to learn which one Kinesis refuses.
		for _, e := range b.entries {
			for _, r := range e.q.recs[:e.n] {
				r.solo = true
			}
			s.requeueLocked(e.q, e.n)
		}
		return
	}
	if isThrottle(code) {
		s.throttled.Add(b.stream.name, uint64(len(b.entries)))
	}
	s.mu.callFailures++
	s.mu.pauseUntil = now.Add(s.backoff(s.mu.callFailures))
	for _, e := range b.entries {
		s.retried.Add(1)
		s.retryLocked(e.q, e.n, now)
	}
	if n := s.mu.callFailures; n == 1 || n%10 == 0 {
		s.log.Warn("kinesis call failed; retrying", "stream", b.stream.name, "records", len(b.entries),
			"consecutive_failures", n, "code", code, "error", redact(err, code, msg))
	}
}

// refusedLocked handles a single record that Kinesis refused as too large
// as an oversize change: it is recorded as failed and the key goes on.
func (s *Sink) refusedLocked(q *keyQueue, code string) {
	r := q.recs[0]
	msg := fmt.Sprintf("record of %d bytes refused by Kinesis as too large (%s)", r.size, code)
	if r.pair != nil {
		r.pair.failed = true
	}
	if err := s.recordFailed(r.origin, q.stream.name, msg); err != nil {
		s.haltLocked(err)
		return
	}
	s.ackLocked(q, 1)
}

// recordFailed stores a change that cannot be sent in the failed store;
// msg says why, and which half of a split update the record is.
func (s *Sink) recordFailed(o origin, stream, msg string) error {
	if o.half != envelope.WholeChange {
		msg += " (the " + o.half.String() + " record of an update that changed its partition key)"
	}
	if s.opts.Failed == nil {
		return fmt.Errorf("sending change of %s from %s to kinesis stream %s: %s (no failed store to record it in)",
			o.table, o.source, stream, msg)
	}
	id, err := s.opts.Failed.RecordFailed(change.FailedChange{
		Source: o.source, Position: o.pos, GTID: o.gtid, Target: "kinesis:" + stream,
		Op: o.op, Key: o.key, Error: msg,
	})
	if err != nil {
		return fmt.Errorf("recording failed change of %s for kinesis stream %s: %w", o.table, stream, err)
	}
	s.failed.Add(1)
	s.log.Warn("recorded change that cannot be sent", "id", id, "stream", stream, "table", o.table,
		"source", o.source, "error", msg)
	return nil
}

// redact returns err's text, or only its code for validation errors, whose
// message may quote partition keys.
func redact(err error, code, msg string) string {
	if code != "" && msg == "" {
		return code
	}
	return err.Error()
}
