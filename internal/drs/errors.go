package drs

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Error is what every Client method returns on failure: the step that
// failed, the class of the failure and the underlying error. errors.Is
// reports the class (ErrThrottled, ErrConflict, …) and errors.As still finds
// the SDK's typed error, such as *types.ConflictException, or
// smithy.APIError for any service error.
type Error struct {
	Op    string // the step, as in "start recovery"
	Class error  // one of the Err* classes, or nil when none applies
	Err   error
}

func (e *Error) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the class and the underlying error, so that both errors.Is
// and errors.As see through an *Error.
func (e *Error) Unwrap() []error {
	if e.Class == nil {
		return []error{e.Err}
	}
	return []error{e.Class, e.Err}
}

// wrap classifies err and names its step; nil stays nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Class: classify(err), Err: err}
}

// refuse is a local refusal, before any call to DRS.
func refuse(op, msg string) error {
	return &Error{Op: op, Class: ErrValidation, Err: errors.New(msg)}
}

// classify maps an error from the SDK to one of the package's classes, or
// nil. The service's error code decides first, because DRS puts the same
// status on different errors (400 is both validation and an uninitialized
// account); the HTTP status and the transport decide when there is no code
// we know.
func classify(err error) error {
	// A caller that gave up is not a DRS failure; retrying it is wrong.
	if errors.Is(err, context.Canceled) {
		return nil
	}

	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		if _, ok := retry.DefaultThrottleErrorCodes[code]; ok {
			return ErrThrottled
		}
		switch code {
		case "ConflictException":
			return ErrConflict
		case "ServiceQuotaExceededException":
			return ErrQuota
		case "ValidationException":
			return ErrValidation
		case "ResourceNotFoundException":
			return ErrNotFound
		case "InternalServerException", "ServiceUnavailableException",
			"InternalFailure", "ServiceUnavailable":
			return ErrTransient
		}
	}

	// A request that never got an answer still comes back as a
	// ResponseError, with status 0; the transport checks below decide it.
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() != 0 {
		switch status := respErr.HTTPStatusCode(); {
		case status == http.StatusTooManyRequests:
			return ErrThrottled
		case status == http.StatusConflict:
			return ErrConflict
		case status == http.StatusPaymentRequired:
			return ErrQuota
		case status >= 500:
			return ErrTransient
		}
		// Other statuses (403, an unknown 404 route, …) are permanent and
		// belong to no class.
		return nil
	}

	// Required members missing: the SDK refuses before sending.
	var paramErr smithy.InvalidParamsError
	if errors.As(err, &paramErr) {
		return ErrValidation
	}

	// No response at all: the request never made it, or the answer never
	// came back whole.
	var sendErr *smithyhttp.RequestSendError
	var netErr net.Error
	switch {
	case errors.As(err, &sendErr),
		errors.As(err, &netErr),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.ErrUnexpectedEOF):
		return ErrTransient
	}
	return nil
}

// Classify returns the class of an error from any AWS SDK client by what
// all services share: throttling codes, the HTTP status, the SDK's local
// parameter checks and the transport; nil when none applies. The EC2 port
// decides its own service codes first and falls back on it.
func Classify(err error) error { return classify(err) }

// RetryAfter reports how long DRS asked the caller to wait before trying
// again, from the Retry-After header of a throttling or internal-server
// answer (or the matching member of the typed error), and whether it asked.
func RetryAfter(err error) (time.Duration, bool) {
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil &&
		respErr.Response.Response != nil {
		if d, ok := parseRetryAfter(respErr.Response.Header.Get("Retry-After")); ok {
			return d, true
		}
	}
	var throttled *types.ThrottlingException
	if errors.As(err, &throttled) && throttled.RetryAfterSeconds != nil {
		if d, ok := parseRetryAfter(*throttled.RetryAfterSeconds); ok {
			return d, true
		}
	}
	var internal *types.InternalServerException
	if errors.As(err, &internal) && internal.RetryAfterSeconds > 0 {
		return parseRetryAfter(strconv.FormatInt(internal.RetryAfterSeconds, 10))
	}
	return 0, false
}

// maxRetryAfter bounds what parseRetryAfter accepts, so that a wild header
// cannot overflow a duration; callers cap the wait far lower.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After value: integer seconds, as DRS sends,
// or an HTTP date, which RFC 9110 also allows.
func parseRetryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := time.Until(t)
		if d < 0 {
			d = 0
		}
		return min(d, maxRetryAfter), true
	}
	return 0, false
}
