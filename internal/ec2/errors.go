package ec2

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/drsorch/drsorch/internal/drs"
)

// wrap classifies err and names its step; nil stays nil. The value is a
// *drs.Error, so that consumers test one set of classes for both ports.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return &drs.Error{Op: op, Class: classify(err), Err: err}
}

// refuse is a local refusal, before any call to EC2.
func refuse(op, msg string) error {
	return &drs.Error{Op: op, Class: drs.ErrValidation, Err: errors.New(msg)}
}

// classify maps an error from the SDK to one of the drs classes, or nil.
// EC2 answers nearly every client error with status 400 and tells them
// apart only by code, so the code decides first; what all services share
// (the status, the transport) decides when the code is not one of EC2's.
func classify(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if class := codeClass(apiErr.ErrorCode()); class != nil {
			return class
		}
	}
	return drs.Classify(err)
}

// codeClass reads an EC2 error code. EC2 has hundreds, named after the
// resource and the fault (InvalidSubnetID.NotFound,
// InvalidLaunchTemplateId.Malformed, InvalidIPAddress.InUse), so their
// suffixes decide after the few codes named here.
func codeClass(code string) error {
	switch code {
	case "RequestLimitExceeded", "Throttling", "ThrottlingException":
		return drs.ErrThrottled
	case "InternalError", "InternalFailure", "Unavailable", "ServiceUnavailable":
		return drs.ErrTransient
	case "InvalidParameterValue", "InvalidParameter", "InvalidParameterCombination",
		"MissingParameter", "UnknownParameter", "InvalidInput", "InvalidFilter",
		"InvalidRequest", "ValidationError", "InvalidID":
		return drs.ErrValidation
	case "IncorrectState", "IncorrectInstanceState", "ConcurrentTagAccess",
		"IdempotentParameterMismatch":
		return drs.ErrConflict
	}
	switch {
	case strings.HasSuffix(code, "NotFound"), strings.HasSuffix(code, "NotFoundException"):
		return drs.ErrNotFound
	case strings.HasSuffix(code, ".Malformed"):
		return drs.ErrValidation
	case strings.HasSuffix(code, ".InUse"), strings.HasSuffix(code, ".Duplicate"),
		strings.HasSuffix(code, "AlreadyExists"), strings.HasSuffix(code, "AlreadyExistsException"):
		return drs.ErrConflict
	case strings.HasSuffix(code, "LimitExceeded"):
		// VersionLimitExceeded (launch template versions) and the like;
		// RequestLimitExceeded, the throttling one, is named above.
		return drs.ErrQuota
	}
	return nil
}
