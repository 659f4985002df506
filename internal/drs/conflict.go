package drs

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
)

// ConflictResource returns the resource a ConflictException names (its
// resourceId and resourceType, such as a source server busy in another
// job), or empty strings when err is no ConflictException or names none.
func ConflictResource(err error) (id, typ string) {
	var ce *types.ConflictException
	if !errors.As(err, &ce) {
		return "", ""
	}
	return aws.ToString(ce.ResourceId), aws.ToString(ce.ResourceType)
}
