package drssim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Exception names as they appear in X-Amzn-ErrorType.
const (
	errValidation    = "ValidationException"
	errUninitialized = "UninitializedAccountException"
	errAccessDenied  = "AccessDeniedException"
	errNotFound      = "ResourceNotFoundException"
	errConflict      = "ConflictException"
	errQuota         = "ServiceQuotaExceededException"
	errThrottling    = "ThrottlingException"
	errInternal      = "InternalServerException"
	errUnknownOp     = "UnknownOperationException"
)

// Validation reasons, the ValidationExceptionReason enum.
const (
	reasonUnknownOperation = "unknownOperation"
	reasonCannotParse      = "cannotParse"
	reasonFieldValidation  = "fieldValidationFailed"
	reasonOther            = "other"
)

// Service Quotas codes of the DRS quotas the emulator enforces.
const (
	quotaServersPerJob       = "L-B827C881"
	quotaActiveJobs          = "L-D88FAC3A"
	quotaServersInActiveJobs = "L-05AFA8C6"
	quotaJobsPerServer       = "L-DD6D028C"
)

// Resource types named in Conflict and ResourceNotFound bodies.
const (
	resSourceServer     = "SOURCE_SERVER"
	resRecoveryInstance = "RECOVERY_INSTANCE"
	resJob              = "JOB"
	resSnapshot         = "RECOVERY_SNAPSHOT"
	resResource         = "RESOURCE"
)

// apiError is a DRS error response. Handlers return it; writeError renders
// it with the status and body members of its exception shape.
type apiError struct {
	status       int
	name         string
	message      string
	resourceID   string
	resourceType string
	quotaCode    string
	reason       string
	fields       []fieldError
	retryAfter   int
}

type fieldError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.name + ": " + e.message }

// errorBody holds every member any DRS exception shape has; each error
// fills only the members of its own shape.
type errorBody struct {
	Message      string       `json:"message"`
	Code         string       `json:"code,omitempty"`
	ResourceID   string       `json:"resourceId,omitempty"`
	ResourceType string       `json:"resourceType,omitempty"`
	ServiceCode  string       `json:"serviceCode,omitempty"`
	QuotaCode    string       `json:"quotaCode,omitempty"`
	Reason       string       `json:"reason,omitempty"`
	FieldList    []fieldError `json:"fieldList,omitempty"`
}

func (e *apiError) body() errorBody {
	b := errorBody{Message: e.message}
	switch e.name {
	case errThrottling:
		// The Throttling shape has no code member.
		b.ServiceCode, b.QuotaCode = "drs", e.quotaCode
	case errInternal:
	default:
		// Code equal to the exception name, so that a client that ignores
		// the header still decodes the right type.
		b.Code = e.name
		b.ResourceID, b.ResourceType = e.resourceID, e.resourceType
		if e.name == errQuota {
			b.ServiceCode, b.QuotaCode = "drs", e.quotaCode
		}
		if e.name == errValidation {
			b.Reason, b.FieldList = e.reason, e.fields
		}
	}
	return b
}

func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.name)
	h.Set("x-amzn-RequestId", reqID)
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	b, _ := json.Marshal(e.body())
	w.WriteHeader(e.status)
	w.Write(b)
}

func validationError(reason, field, format string, args ...any) *apiError {
	msg := fmt.Sprintf(format, args...)
	e := &apiError{status: http.StatusBadRequest, name: errValidation, message: msg, reason: reason}
	if field != "" {
		e.fields = []fieldError{{Name: field, Message: msg}}
	}
	return e
}

func invalidField(field, format string, args ...any) *apiError {
	return validationError(reasonFieldValidation, field, format, args...)
}

func notFound(id, typ string) *apiError {
	return &apiError{
		status: http.StatusNotFound, name: errNotFound,
		message:    fmt.Sprintf("%s %s not found", typ, id),
		resourceID: id, resourceType: typ,
	}
}

func conflict(id, typ, format string, args ...any) *apiError {
	return &apiError{
		status: http.StatusConflict, name: errConflict,
		message:    fmt.Sprintf(format, args...),
		resourceID: id, resourceType: typ,
	}
}

func quotaExceeded(code, format string, args ...any) *apiError {
	return &apiError{
		status: http.StatusPaymentRequired, name: errQuota,
		message: fmt.Sprintf(format, args...), quotaCode: code,
	}
}

func throttled() *apiError {
	return &apiError{
		status: http.StatusTooManyRequests, name: errThrottling,
		message: "Rate exceeded", retryAfter: 1,
	}
}

func internalError() *apiError {
	return &apiError{
		status: http.StatusInternalServerError, name: errInternal,
		message: "An internal error occurred (injected by the emulator)", retryAfter: 1,
	}
}

func uninitialized() *apiError {
	return &apiError{
		status: http.StatusBadRequest, name: errUninitialized,
		message: "Account is not initialized. Call InitializeService first",
	}
}
