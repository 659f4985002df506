package drs

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/smithy-go"
)

// Retry defaults. DRS documents no request rate, only throttling with a
// Retry-After, so the client waits as long as it is told, up to a cap.
const (
	defaultMaxAttempts = 5
	defaultMaxBackoff  = 20 * time.Second
	baseDelay          = 100 * time.Millisecond
	throttleBaseDelay  = 500 * time.Millisecond
)

// NewRetryer returns the retry policy of drsorch's SDK clients (DRS and
// EC2), so that both wait alike: the SDK's standard retryer (it decides
// what is retryable: throttling, 5xx, timeouts and connection errors) up
// to maxAttempts attempts (default 5), with two changes:
//
//   - the backoff honours Retry-After and throttling codes, at most
//     maxBackoff (default 20s) per wait; the standard retryer only reads
//     X-Amz-Retry-After, which DRS does not send;
//   - the client-side retry quota is off: when DRS says "come back in N
//     seconds", a local token bucket must not turn that into a failure in
//     the middle of a recovery.
//
// Each retry is logged at debug level as "retrying <service> request".
func NewRetryer(service string, maxAttempts int, maxBackoff time.Duration, log *slog.Logger) aws.Retryer {
	if maxAttempts <= 0 {
		maxAttempts = defaultMaxAttempts
	}
	if maxBackoff <= 0 {
		maxBackoff = defaultMaxBackoff
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &backoff{max: maxBackoff, log: log, rand: rand.Int64N, msg: "retrying " + service + " request"}
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		o.Backoff = b
		o.RateLimiter = ratelimit.None
	})
}

// backoff computes the wait before attempt+1. Without a Retry-After it is
// exponential with full jitter. With one it is the server's wait plus up to
// a fifth more, so that many clients told the same thing do not return in
// the same instant; either way at most max.
type backoff struct {
	max  time.Duration
	log  *slog.Logger
	rand func(n int64) int64 // [0, n), replaced in tests
	msg  string
}

// BackoffDelay implements retry.BackoffDelayer.
func (b *backoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	base := baseDelay
	if classify(err) == ErrThrottled {
		base = throttleBaseDelay
	}
	ceiling := b.max
	if attempt >= 1 && attempt < 30 && base<<(attempt-1) < ceiling {
		ceiling = base << (attempt - 1)
	}
	d := time.Duration(b.jitter(int64(ceiling)))

	retryAfter, told := RetryAfter(err)
	if told {
		d = retryAfter + time.Duration(b.jitter(int64(retryAfter/5)))
	}
	d = min(d, b.max)

	code := ""
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	b.log.Debug(b.msg, "attempt", attempt, "delay", d,
		"retry_after", retryAfter, "code", code, "error", err)
	return d, nil
}

func (b *backoff) jitter(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return b.rand(n)
}

// startsJob is the retry policy of the calls that start a DRS job
// (StartRecovery, TerminateRecoveryInstances), which take no client token:
// an attempt that reached DRS may have started its job even if its answer
// was lost or was a 5xx, and a blind second attempt would then fail with a
// ConflictException (the servers are busy with the first job) and hide the
// job that runs. So only answers that say "not done" are retried: a
// throttling answer, or a connection that was never made. Everything else
// comes back to the caller, who looks for the job by its tags (FindJobs)
// before asking again.
func startsJob(o *drs.Options) {
	if r, ok := o.Retryer.(aws.RetryerV2); ok {
		o.Retryer = onlyUndone{r}
	}
}

type onlyUndone struct{ aws.RetryerV2 }

func (r onlyUndone) IsErrorRetryable(err error) bool {
	if !r.RetryerV2.IsErrorRetryable(err) {
		return false
	}
	if classify(err) == ErrThrottled {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}
