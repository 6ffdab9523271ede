package kinesis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
)

// Modes of the injector.
const (
	passAll      = iota // forward every call untouched
	failShare           // fail a share of the records of each PutRecords
	failRecords         // fail every record of each PutRecords
	throttleCall        // fail each PutRecords as a whole with a 400
)

// injector sits between the SDK and the emulator, which cannot be asked to
// fail records, and fails PutRecords records or calls as Kinesis does: the
// passing records are forwarded, and the response combines the emulator's
// results with ProvisionedThroughputExceededException at the failed
// indexes. Nothing it fails reaches the emulator.
type injector struct {
	next http.RoundTripper

	mu    sync.Mutex
	mode  int
	share float64
	rng   *rand.Rand

	calls, failedRecords, throttled atomic.Int64
}

func newInjector(seed uint64) *injector {
	return &injector{rng: rand.New(rand.NewPCG(seed, 2))}
}

func (f *injector) set(mode int, share float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode, f.share = mode, share
}

const putRecordsTarget = "Kinesis_20131202.PutRecords"

type putRequest struct {
	Records    []json.RawMessage `json:"Records"`
	StreamName string            `json:"StreamName,omitempty"`
	StreamARN  string            `json:"StreamARN,omitempty"`
}

type putResult struct {
	SequenceNumber string `json:"SequenceNumber,omitempty"`
	ShardId        string `json:"ShardId,omitempty"` //nolint:revive // the wire name
	ErrorCode      string `json:"ErrorCode,omitempty"`
	ErrorMessage   string `json:"ErrorMessage,omitempty"`
}

type putResponse struct {
	FailedRecordCount int         `json:"FailedRecordCount"`
	Records           []putResult `json:"Records"`
	EncryptionType    string      `json:"EncryptionType,omitempty"`
}

func (f *injector) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("X-Amz-Target") != putRecordsTarget {
		return f.next.RoundTrip(req)
	}
	f.calls.Add(1)
	in, err := readPut(req, "injector")
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	mode := f.mode
	fail := make([]bool, len(in.Records))
	for i := range fail {
		switch mode {
		case failShare:
			fail[i] = f.rng.Float64() < f.share
		case failRecords:
			fail[i] = true
		}
	}
	f.mu.Unlock()
	if mode == throttleCall {
		f.throttled.Add(1)
		return jsonResponse(req, http.StatusBadRequest,
			[]byte(`{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for stream"}`)), nil
	}
	keep := make([]bool, len(fail))
	for i, failed := range fail {
		keep[i] = !failed
	}
	forwarded, resp, err := forwardPut(f.next, req, in, keep, "injector")
	if resp != nil || err != nil {
		return resp, err
	}
	out := putResponse{Records: make([]putResult, len(in.Records)), EncryptionType: forwarded.EncryptionType}
	j := 0
	for i := range in.Records {
		if fail[i] {
			out.Records[i] = putResult{ErrorCode: "ProvisionedThroughputExceededException",
				ErrorMessage: "Rate exceeded for shard shardId-000000000000 in stream " + in.StreamName}
			out.FailedRecordCount++
			f.failedRecords.Add(1)
			continue
		}
		out.Records[i] = forwarded.Records[j]
		if forwarded.Records[j].ErrorCode != "" {
			out.FailedRecordCount++
		}
		j++
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return jsonResponse(req, http.StatusOK, data), nil
}

// readPut decodes the PutRecords request of req; who names the caller in
// errors.
func readPut(req *http.Request, who string) (putRequest, error) {
	var in putRequest
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return in, err
	}
	_ = req.Body.Close()
	if err := json.Unmarshal(body, &in); err != nil {
		return in, fmt.Errorf("%s: decoding PutRecords: %w", who, err)
	}
	return in, nil
}

// forwardPut sends the records of in that keep marks to next, and returns
// the emulator's answer for them, in order. When the emulator fails the
// call as a whole, resp is its answer, to be returned as it is.
func forwardPut(next http.RoundTripper, req *http.Request, in putRequest, keep []bool, who string) (forwarded putResponse, resp *http.Response, err error) {
	pass := putRequest{StreamName: in.StreamName, StreamARN: in.StreamARN}
	for i, r := range in.Records {
		if keep[i] {
			pass.Records = append(pass.Records, r)
		}
	}
	if len(pass.Records) == 0 {
		return forwarded, nil, nil
	}
	fwd, err := json.Marshal(pass)
	if err != nil {
		return forwarded, nil, err
	}
	r2 := req.Clone(req.Context())
	r2.Body, r2.ContentLength, r2.GetBody = io.NopCloser(bytes.NewReader(fwd)), int64(len(fwd)), nil
	resp, err = next.RoundTrip(r2)
	if err != nil {
		return forwarded, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return forwarded, resp, nil
	}
	data, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return forwarded, nil, err
	}
	if err := json.Unmarshal(data, &forwarded); err != nil {
		return forwarded, nil, fmt.Errorf("%s: decoding the emulator's response: %w", who, err)
	}
	if len(forwarded.Records) != len(pass.Records) {
		return forwarded, nil, fmt.Errorf("%s: the emulator answered %d results for %d records",
			who, len(forwarded.Records), len(pass.Records))
	}
	return forwarded, nil, nil
}

func jsonResponse(req *http.Request, status int, body []byte) *http.Response {
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": []string{"application/x-amz-json-1.1"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}
}
