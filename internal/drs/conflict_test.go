package drs

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
)

func TestConflictResource(t *testing.T) {
	ce := &types.ConflictException{Message: aws.String("busy"), ResourceId: aws.String("s-1"), ResourceType: aws.String("SOURCE_SERVER")}
	tests := []struct {
		err          error
		wantID, want string
	}{
		{err: wrap("start recovery", ce), wantID: "s-1", want: "SOURCE_SERVER"},
		{err: fmt.Errorf("request: %w", wrap("start recovery", ce)), wantID: "s-1", want: "SOURCE_SERVER"},
		{err: wrap("start recovery", &types.ConflictException{Message: aws.String("busy")})},
		{err: errors.New("other")},
		{err: nil},
	}
	for _, tt := range tests {
		id, typ := ConflictResource(tt.err)
		if id != tt.wantID || typ != tt.want {
			t.Errorf("ConflictResource(%v) = %q, %q; want %q, %q", tt.err, id, typ, tt.wantID, tt.want)
		}
	}
}
